"""The table of 1-D loss kernels, shared by every Tempita template.

setup.py passes ``KERNELS`` to each ``*.pyx.tp`` it expands, so that any loop
generator (the loss loops in ``_loss.pyx.tp``, the linear-model loops in
``fastloss/linear_model``) covers the same kernels.  Each entry is

    (name, compiled class, domain check, docstring)

where ``name_lgh`` and the domain check are inline functions of
``_lossmath.pxd``.  ``KERNEL_IDS[name]`` is the integer a compiled kernel object
reports as ``kernel_id``; ``MULTINOMIAL_ID`` is the multinomial kernel's.
"""

KERNELS = [
    ("squared", "CyHalfSquaredError", "real_bad", "Half squared error, identity link."),
    ("absolute", "CyAbsoluteError", "real_bad", "Absolute error, identity link."),
    ("pinball", "CyPinballLoss", "real_bad", "Pinball loss; p0 = quantile."),
    ("huber", "CyHuberLoss", "real_bad", "Huber loss; p0 = delta."),
    ("poisson", "CyHalfPoissonLoss", "nonnegative_bad", "Half Poisson deviance, log link."),
    ("gamma", "CyHalfGammaLoss", "positive_bad", "Half Gamma deviance, log link."),
    ("tweedie0", "CyHalfTweedie0Loss", "real_bad", "Half Tweedie deviance with power 0, log link."),
    ("tweedie", "CyHalfTweedieLoss", "tweedie_bad",
     "Half Tweedie deviance, log link; p0 = power not in {0, 1, 2}."),
    ("tweedie_identity", "CyHalfTweedieLossIdentity", "tweedie_bad",
     "Half Tweedie deviance, identity link; p0 = power not in {0, 1, 2}."),
    ("poisson_identity", "CyHalfPoissonLossIdentity", "nonnegative_bad",
     "Half Poisson deviance, identity link."),
    ("gamma_identity", "CyHalfGammaLossIdentity", "positive_bad",
     "Half Gamma deviance, identity link."),
    ("binomial", "CyHalfBinomialLoss", "unit_interval_bad", "Half binomial deviance, logit link."),
    ("exponential", "CyExponentialLoss", "unit_interval_bad", "Exponential loss, half-logit link."),
]

KERNEL_IDS = {name: i for i, (name, _, _, _) in enumerate(KERNELS)}
MULTINOMIAL_ID = len(KERNELS)

"""asv benchmarks of fastloss (run from ``benchmarks/``: ``./run_quick.sh``)."""

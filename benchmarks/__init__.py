"""Performance measurements (not tests). Run: python -m benchmarks.run --help"""

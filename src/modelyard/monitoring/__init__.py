"""Monitoring: the prediction log, drift of live inputs from the stored reference, and live
performance from late labels."""

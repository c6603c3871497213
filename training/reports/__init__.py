"""End-of-run reports: per-head text reports, confusion matrices, PR/ROC and training curves, index.html."""

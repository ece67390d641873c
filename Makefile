# Ferrovisor top-level Makefile (provisional: unit tests only for now)
include mk/unit.mk

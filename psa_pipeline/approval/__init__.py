"""The publisher's approval: a reviewer's decision bound to the exact bytes of a PSA's build."""

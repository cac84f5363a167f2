"""TEMPORARY: old import paths kept while harness/scenario is being moved; removed in the same session."""

"""The live event stream: what changed, for whom, in the order it was committed."""

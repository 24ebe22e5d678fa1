"""Course Materials Order Tool: order, view and cancel digital course materials."""

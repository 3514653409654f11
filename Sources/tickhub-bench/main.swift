print("tickhub-bench")

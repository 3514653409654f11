print("tickhub-sim")

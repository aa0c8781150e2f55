print("understory-sync: not yet implemented")

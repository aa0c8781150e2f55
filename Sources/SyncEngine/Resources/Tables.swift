/// The declarations of every synced table, one file per resource (`Bookings.swift`, …).
enum Tables {}

/// The declarations of every synced resource (table, traversal, stages), next to its tables.
enum Declarations {}

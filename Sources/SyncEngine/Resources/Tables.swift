/// The declarations of every synced table, one file per resource (`Bookings.swift`, …).
enum Tables {}

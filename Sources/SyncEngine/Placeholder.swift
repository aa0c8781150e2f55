import Foundation
public func _migrationsURL() -> URL? { Bundle.module.url(forResource: "Migrations", withExtension: nil) }

import Foundation
import UnderstoryAPI

extension AccountStore {
    /// Stores an account whose refresh token was obtained without `accounts connect` (a grant made
    /// elsewhere, or a simulator's bulk consents in tests and benchmarks): sealed with `key` exactly
    /// like a connected one, active, due at once.
    @discardableResult
    public func saveGranted(
        companyID: String, companyName: String?, clientID: String, scopes: [String], refreshToken: Secret, key: TokenKey
    ) async throws -> Account {
        try await saveConnected(
            me: Me(companyID: companyID, companyName: companyName, userID: nil, email: nil), companyID: companyID, clientID: clientID,
            scopes: scopes, refreshToken: refreshToken, key: key
        )
    }
}

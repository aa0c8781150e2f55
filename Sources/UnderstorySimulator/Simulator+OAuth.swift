/// The third-party app flows as seen from a test: consent, revocation, counters.
extension Simulator {
    /// The first configured app (`configuration.apps[0]`).
    public var appID: String { self.configuration.apps.first?.id ?? "" }
    public var appSecret: String { self.configuration.apps.first?.secret ?? "" }

    /// What the simulated user answers at `/oauth2/auth` from now on.
    public var consent: SimulatorConsent { self.runtime.withLock { $0.oauth.decision } }

    /// Sets what the simulated user answers at `/oauth2/auth`. Approving for an unknown company traps.
    public func setConsent(_ consent: SimulatorConsent) {
        if case .approve(let companyID) = consent { _ = self.requireCompany(companyID) }
        self.runtime.withLock { $0.oauth.decision = consent }
    }

    /// Revokes every consent of `company` (nil = primary), of `appID` only when given: their
    /// refresh tokens get `invalid_grant`, their access tokens 401, unexchanged codes are dropped.
    public func revokeConsent(company: String?, appID: String? = nil) {
        let index = self.requireCompany(company).index
        self.runtime.withLock { runtime in
            for (id, consent) in runtime.oauth.consents where consent.company == index && !consent.revoked {
                if let appID, consent.clientID != appID { continue }
                runtime.revokeConsent(id)
            }
            runtime.oauth.codes = runtime.oauth.codes.filter { _, code in
                code.company != index || (appID != nil && code.clientID != appID)
            }
            runtime.oauth.statistics.revocations += 1
        }
    }

    /// Counters of the authorization_code/refresh_token flows.
    public var oauthStatistics: SimulatorOAuthStatistics { self.runtime.withLock { $0.oauth.statistics } }

    /// Refresh tokens of `company` (nil = primary) that a refresh would accept right now (not
    /// rotated, not revoked) — 1 per healthy consent chain.
    public func liveRefreshTokenCount(company: String? = nil) -> Int {
        let index = self.requireCompany(company).index
        return self.runtime.withLock { runtime in
            runtime.oauth.refreshTokens.values.filter { record in
                guard case .live = record.state, let consent = runtime.oauth.consents[record.consentID] else { return false }
                return consent.company == index && !consent.revoked
            }.count
        }
    }
}

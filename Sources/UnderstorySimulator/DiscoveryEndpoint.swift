import Hummingbird

/// OIDC discovery (`/.well-known/openid-configuration`) and the (empty) key set it points at.
extension SimulatorResponder {
    private func issuer(_ request: Request) -> String {
        if let authority = request.head.authority, !authority.isEmpty { return "http://\(authority)" }
        return self.simulator.baseURL
    }

    func discovery(_ request: Request) -> Response {
        let issuer = self.issuer(request)
        var w = JSONWriter(capacity: 700)
        w.beginObject()
        w.key("issuer")
        w.string(issuer)
        w.key("token_endpoint")
        w.string(issuer + "/oauth2/token")
        w.key("authorization_endpoint")
        w.string(issuer + "/oauth2/auth")
        w.key("revocation_endpoint")
        w.string(issuer + "/oauth2/revoke")
        w.key("code_challenge_methods_supported")
        w.beginArray()
        w.string("S256")
        w.endArray()
        w.key("jwks_uri")
        w.string(issuer + "/.well-known/jwks.json")
        w.key("scopes_supported")
        w.beginArray()
        for scope in SimulatorClient.knownScopes.sorted() { w.string(scope) }
        w.endArray()
        w.key("grant_types_supported")
        w.beginArray()
        w.string("client_credentials")
        w.string("authorization_code")
        w.string("refresh_token")
        w.endArray()
        w.key("response_types_supported")
        w.beginArray()
        w.string("code")
        w.endArray()
        w.key("token_endpoint_auth_methods_supported")
        w.beginArray()
        w.string("client_secret_post")
        w.endArray()
        w.endObject()
        return Reply.json(.ok, w.bytes)
    }

    func keySet() -> Response {
        Reply.json(.ok, Array(#"{"keys":[]}"#.utf8))
    }
}

@testable import PostgresClient
import Testing

@Suite("passwords are redacted from any libpq message, whatever the connection string looks like")
struct RedactionTests {
    @Test("every password= value and every user:password@ in a message is replaced", arguments: [
        #"missing "=" after " postgresql://u:s3cr3t@host/db" in connection info string"#,
        #"missing "=" after "postgresq://u:s3cr3t@host/db" in connection info string"#,
        #"missing "=" after "u:s3cr3t@host/db" in connection info string"#,
        #"invalid connection option "PASSWORD" near password= s3cr3t"#,
        #"unterminated quoted string in connection info string: password='s3cr3t host=x"#,
        #"could not connect: "postgresql://admin:s3cr3t@db.internal:5432/app?sslmode=require""#,
        #"invalid URI query parameter: "password=s3cr3t&x=1""#,
        "FATAL: password authentication failed for user \"u\" (password=s3cr3t)",
    ])
    func messageShapes(_ message: String) {
        let redacted = ConnectionString.redactingPasswordShapes(message)
        #expect(!redacted.contains("s3cr3t"), "\(redacted)")
        #expect(redacted.contains("<redacted>"), "\(redacted)")
    }

    @Test("a connection string's own password is redacted even where the message does not show its shape")
    func connectionStringPassword() {
        let message = #"could not parse "s3cr3t" somewhere"#
        #expect(ConnectionString.redacting(message, in: "\tpostgresql://u:s3cr3t@host/db") == #"could not parse "<redacted>" somewhere"#)
        #expect(ConnectionString.redacting(message, in: "host=x password = 's3cr3t'") == #"could not parse "<redacted>" somewhere"#)
    }

    @Test("a message without a password is left alone")
    func noPassword() {
        let message = "could not connect to server: Connection refused (host 127.0.0.1, port 1, user postgres) at 12:00"
        #expect(ConnectionString.redactingPasswordShapes(message) == message)
    }
}

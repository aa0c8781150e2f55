/// One thing a run could not do — a resource of the company, an account, a check — with its
/// error. A run collects all of them, unranked: the command line ranks them (most fundamental
/// first) into one exit status and names every class with what it hit.
public struct RunFailure: Sendable {
    /// What failed: a resource name, a company id or a check's name.
    public var subject: String
    public var error: any Error

    public init(subject: String, error: any Error) {
        self.subject = subject
        self.error = error
    }
}

import Foundation
import Hummingbird

/// Picks the storefront language of a request from `Accept-Language` (q-values honoured; `*` =
/// the default language) into ``SimulatorRequestContext/language``, and names it in the answer's
/// `Content-Language`; 400 `BAD_REQUEST` when the header is missing or offers none of them.
struct LanguageNegotiation: RouterMiddleware {
    typealias Context = SimulatorRequestContext
    let languages: [String]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.acceptLanguage], !header.trimmingCharacters(in: .whitespaces).isEmpty else {
            return Reply.error(.badRequest, "BAD_REQUEST", "the Accept-Language header is required")
        }
        guard let index = self.pick(header) else {
            return Reply.error(
                .badRequest, "BAD_REQUEST",
                "none of the languages in Accept-Language is offered (offered: \(self.languages.joined(separator: ", ")))"
            )
        }
        var context = context
        context.language = index
        var response = try await next(request, context)
        if response.status == .ok { response.headers[.contentLanguage] = self.languages[index] }
        return response
    }

    /// The index of the best offered language for `header`, if any.
    func pick(_ header: String) -> Int? {
        var ranges: [(tag: String, q: Double, order: Int)] = []
        for (order, part) in header.split(separator: ",").enumerated() {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = pieces.first?.lowercased(), !tag.isEmpty else { continue }
            var q = 1.0
            for piece in pieces.dropFirst() where piece.hasPrefix("q=") {
                q = Double(piece.dropFirst(2)) ?? 0
            }
            if q > 0 { ranges.append((tag, q, order)) }
        }
        ranges.sort { $0.q != $1.q ? $0.q > $1.q : $0.order < $1.order }
        for range in ranges {
            if range.tag == "*" { return 0 }
            let primary = range.tag.split(separator: "-").first.map(String.init) ?? range.tag
            if let index = self.languages.firstIndex(where: { $0.lowercased() == range.tag || $0.lowercased() == primary }) {
                return index
            }
        }
        return nil
    }
}

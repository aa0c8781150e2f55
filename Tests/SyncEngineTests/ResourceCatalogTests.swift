@testable import SyncEngine
import Testing
import UnderstoryAPI

@Suite("the resource catalog: the one list of resources")
struct ResourceCatalogTests {
    @Test("every webhook topic Understory sends is followed by exactly one declared resource (a topic without one would be dropped)")
    func everyTopicHasOneResource() {
        for topic in WebhookSubject.Topic.allCases {
            let followers = ResourceCatalog.product.plans.filter { $0.webhookTopic == topic }.map(\.resource)
            #expect(followers.count == 1, "\(topic): \(followers)")
        }
        let message = WebhookMessage(id: "m1", type: "v1.booking.updated", timestamp: nil, payload: ["booking_id": "b1"])
        #expect(message.subject == WebhookSubject(topic: .booking, id: "b1"))
        #expect(WebhookMessage(id: "m2", type: "v1.invoice.updated", timestamp: nil, payload: ["invoice_id": "i1"]).subject == nil)
    }

    @Test("each resource name and each table is declared once; a name parses back to its resource")
    func namesAndTablesOnce() {
        let names = Resource.allCases.map(\.rawValue)
        #expect(Set(names).count == names.count, "\(names)")
        let tables = TableSpec.all.map(\.name)
        #expect(Set(tables).count == tables.count, "\(tables)")
        for resource in Resource.allCases {
            #expect(Resource(rawValue: resource.rawValue) == resource)
        }
        #expect(Resource(rawValue: "invoices") == nil)
    }
}

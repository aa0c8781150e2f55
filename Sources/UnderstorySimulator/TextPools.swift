/// Realistic and nasty text: every script direction, emoji (ZWJ sequences, flags, skin tones),
/// combining marks, quotes, backslashes, tabs and newlines, zero-width and bidi controls, line
/// separators and text that looks like SQL, HTML or JSON. All of it is valid Unicode (no lone
/// surrogates, no NUL) and must survive a sync byte for byte.
enum TextPools {
    static let firstNames: [String] = [
        "Søren", "Åsa", "Zoë", "José", "Mette-Marie", "محمد", "李", "Ólafur", "Siobhán", "Nguyễn Thị",
        "Łukasz", "Jürgen", "Anaïs", "Björk", "Þórunn", "Renée", "François", "Ægir", "O'Neil", "D'Angelo",
        "Ľudmila", "Ψάρης", "Дмитрий", "יעל", "さくら", "Kwame", "Chloé", "María José", "Noe\u{0301}mi",
        "👩🏽‍🚀 Astrid", "Bobby \"Tables\"", "Back\\slash", "Tab\tbed", "Line\nBreak", "Anne", "Lars",
        "Freja", "Mads", "Ida", "Emil", "Sofie", "Oliver", "Emma", "Noah", "Ella", "William", "Alma",
    ]

    static let lastNames: [String] = [
        "Jørgensen", "Ødegård", "Müller", "Smith", "ابن سينا", "García Márquez", "Nakamura 中村", "O'Brien",
        "van der Berg", "Łęcki", "Güneş", "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇", "Pérez-Reverte", "Dvořák", "Андреев", "כהן", "🦄",
        "Smith'); DROP TABLE bookings;--", "Hansen", "Nielsen", "Pedersen", "Andersen", "Christensen",
        "Larsen", "Sørensen", "Rasmussen", "Guðmundsdóttir", "Nguyễn", "\u{202E}nosrednA\u{202C}",
    ]

    static let companyNames: [String] = [
        "Nordic Trails A/S", "Café Ørsted & Søn", "株式会社サンプル", "شركة الرحلات", "Acme \"Quotes\" Ltd.",
        "Back\\Slash GmbH", "Tabs\tand\nNewlines AB", "<script>alert('x')</script> Inc.",
        "Ünïcödé Ëxpéditions S.à r.l.", "Ἑλληνικὴ Ἑταιρεία", "Team-building 🚀 ApS", "Ósk ehf.",
    ]

    static let cities: [String] = [
        "København", "Reykjavík", "Tórshavn", "Nuuk", "Malmö", "Tromsø", "Kuwait City", "Manama", "東京",
        "Zürich", "São Paulo", "Łódź", "Ἀθῆναι", "Åre", "Ærøskøbing", "Aarhus", "Odense", "Skagen",
    ]

    static let countries: [String] = ["DK", "IS", "FO", "GL", "SE", "NO", "KW", "BH", "JP", "CH", "BR", "PL", "GR", "DE", "US"]

    static let streets: [String] = [
        "Nørregade 12, 2. th.", "Østerbrogade 1\u{00A0}A", "Laugavegur 7", "1-2-3 Shibuya 渋谷区",
        "شارع الخليج العربي 14", "Rue de l'Église 5", "Baker St. 221B \"rear\"", "C:\\Program Files\\Street 1",
        "Strandvejen 100", "Vesterbrogade 3\tst.", "Hafnarstræti 1", "Ægirsgade 9",
    ]

    static let secondLines: [String] = ["2. sal", "c/o Ørsted", "Apt. 4B", "Postboks 12", "棟 3F", "Building \"C\""]
    static let regions: [String] = ["Hovedstaden", "Midtjylland", "Höfuðborgarsvæðið", "Tōkyō-to", "Al Asimah", "Zürich"]
    static let zips: [String] = ["1360", "8000", "101", "100-0001", "13001", "2100 Ø", "SW1A 1AA", "00-950"]

    static let locales: [String] = ["da", "en", "en-US", "en-GB", "de", "de-DE", "sv", "nb-NO", "is", "ja", "ar", "fo"]

    static let sources: [String] = [
        "WIDGET", "BACKOFFICE", "API", "MARKETPLACE", "GETYOURGUIDE", "VIATOR", "POS", "bookings-widget v2 ✨",
    ]

    static let notes: [String] = [
        "Allergic to 🥜 peanuts!", "Arrives by 🚲", "Kunden ønsker vegetarisk mad — husk det!",
        "ملاحظة: يرجى الاتصال قبل الوصول", "הערה בעברית with English mixed in", "Quote: \"VIP\" & 'guest'",
        "Path C:\\temp\\new", "line1\nline2\r\nline3\ttabbed", "Zero\u{200B}width\u{200D}joiner \u{FEFF}BOM",
        "e\u{0301} vs é (NFD vs NFC)", "\u{202E}reversed text\u{202C}", "𝕿𝖍𝖊 𝖋𝖆𝖓𝖈𝖞 𝖓𝖔𝖙𝖊",
        "Emoji family 👨‍👩‍👧‍👦 and flags 🇩🇰🇮🇸", "SELECT * FROM bookings WHERE 1=1; --", "{\"looks\":\"like json\"}",
        "\u{2028}line separator\u{2029}paragraph separator", "Rollstuhl ♿︎ — bitte Rampe", "", " ", "NULL", "null",
        "控制字符 \u{0001}\u{001F} inside", "Kræver tolk: 🇺🇦 українська", "50% off? <b>bold</b> &amp; done",
    ]

    static let metadataKeys: [String] = [
        "crm_id", "utm_source", "notes", "ref", "gift", "ключ", "キー", "emoji_🔑", "a.b.c", "with space",
        "quote\"key", "back\\slash", "x",
    ]

    static let metadataValues: [String] = [
        "12345", "", "true", "null", "newsletter", "Søren's gift 🎁", "line\nbreak", "{\"nested\":\"json?\"}",
        "مرحبا", "tab\there", "0042", "1e10",
    ]

    static let longFragments: [String] = [
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", "Æble, øl og ål på Ærø. ",
        "日本語のテキストも含まれています。", "نص عربي طويل يمتد عبر السطور. ", "Emoji burst 🎉🎈🎂🥳 ",
        "\"quoted\" and \\escaped\\ ", "\ttabbed\n", "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇ ", "👩‍👩‍👧‍👦 ", "עברית ",
    ]

    static let experienceNames: [(en: String, da: String, de: String)] = [
        ("Northern Lights Kayak 🌌", "Nordlys-kajak på fjorden", "Nordlicht-Kajaktour"),
        ("Glacier Walk — \"Blue Ice\"", "Gletsjervandring — »Blå is«", "Gletscherwanderung „Blaues Eis“"),
        ("Oyster Safari 🦪 at Wadden Sea", "Østerssafari i Vadehavet", "Austernsafari im Wattenmeer"),
        ("Whale Watching\tTour", "Hvalsafari", "Walbeobachtung"),
        ("Tea ceremony 茶道", "Teceremoni 茶道", "Teezeremonie 茶道"),
        ("Desert Dinner — عشاء في الصحراء", "Ørkenmiddag", "Wüstendinner"),
        ("Back\\slash Brewery Tour 🍺", "Bryggeritur", "Brauereiführung"),
        ("Viking Ship Sailing ⛵", "Sejlads med vikingeskib", "Wikingerschiff-Segeln"),
        ("Horse riding on Icelandic horses 🐴", "Ridetur på islandske heste", "Reiten auf Islandpferden"),
        ("Sauna & cold plunge 🧖", "Sauna og vinterbadning", "Sauna & Eisbaden"),
    ]

    static let timezones: [String] = [
        "Europe/Copenhagen", "Atlantic/Reykjavik", "Atlantic/Faroe", "America/Nuuk", "Asia/Tokyo",
        "Asia/Kuwait", "Asia/Bahrain", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu",
        "Pacific/Chatham", "Europe/Copenhagen", "Europe/Copenhagen",
    ]

    static let tagIDs: [String] = ["tag_outdoor", "tag_family", "tag_🌊", "tag_winter", "tag_food", "tag_premium"]

    /// A string of at least `minimumBytes` UTF-8 bytes, built from the fragments above.
    static func long(_ random: inout SeededRandom, minimumBytes: Int) -> String {
        var text = ""
        while text.utf8.count < minimumBytes {
            text += random.pick(longFragments)
        }
        return text
    }
}

/// A currency with its ISO 4217 minor-unit exponent.
struct Currency: Sendable {
    let code: StaticString
    let exponent: Int
    let weight: Int

    static let all: [Currency] = [
        Currency(code: "DKK", exponent: 2, weight: 40), Currency(code: "EUR", exponent: 2, weight: 18),
        Currency(code: "SEK", exponent: 2, weight: 5), Currency(code: "NOK", exponent: 2, weight: 5),
        Currency(code: "USD", exponent: 2, weight: 4), Currency(code: "GBP", exponent: 2, weight: 4),
        Currency(code: "JPY", exponent: 0, weight: 8), Currency(code: "ISK", exponent: 0, weight: 6),
        Currency(code: "KWD", exponent: 3, weight: 5), Currency(code: "BHD", exponent: 3, weight: 5),
    ]
    static let weights: [Int] = all.map(\.weight)
    static let dkk = 0
    static let jpy = 6
    static let isk = 7
    static let kwd = 8
    static let bhd = 9
}

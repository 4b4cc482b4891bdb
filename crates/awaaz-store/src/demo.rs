//! The deterministic demo shop loaded into an empty database.
//!
//! [`shop`] builds a small but believable Indian online shop: about seventy
//! products, a few hundred customers' worth of orders and the handful of fixed
//! records that the agent's tests and the labelled utterance set rely on (see
//! `notes/fixtures.md` in the design notes). It is a pure function of `today`:
//! the same date always gives the same shop, byte for byte, because it draws
//! from its own [`SplitMix64`] stream with a fixed seed rather than from `rand`,
//! whose generators may change between releases. Dates are relative to
//! `today`, so "arriving tomorrow" stays true whenever the shop is loaded.
//!
//! # What is in it
//!
//! * **Products** (70, ids from 1 in the order below): ethnic wear, electronics,
//!   home & kitchen, footwear, beauty and accessories, each with colour and/or
//!   size variants, stock and prices in paise. Aliases carry Devanagari and
//!   romanised names (`साड़ी`, `saree`, `sari`). Fixed stock facts:
//!   "Blue Cotton Kurta" blue-M has 12, blue-XL has 0, every white size is in
//!   stock; "Lehenga Choli" red is out of stock in every size; "OnePlus Nord
//!   CE4", "Sherwani" and "Kundan Necklace Set" are out of stock entirely. About
//!   one variant in ten elsewhere is out of stock. The shop sells no curtains.
//! * **Customers** (126): ids 1-4 are fixed (Priya Sharma, Rahul Verma, Ananya
//!   Iyer, Mohammed Arif); the rest have names from many regions of India,
//!   unique `+91` mobile numbers starting 6-9 and addresses with PIN codes in
//!   sixteen cities.
//! * **Orders** (320): the eleven fixed orders (`ORD-45678` …) belong to
//!   customers 1-4, who have no other orders, so "what are my orders" has a
//!   known answer. The 309 generated orders belong to customers 5 and up, have
//!   unique five-digit numbers none of which is within one digit change of a
//!   fixed number (so a misheard fixed id is never silently another real
//!   order), and cover every [`OrderStatus`] many times.
//!
//! Order fields follow the status: shipped and later orders have a courier and
//! a tracking number; delivered, returned and refunded orders have
//! `delivered_at`; undelivered orders have `expected_delivery`; refunded
//! orders, and prepaid cancelled ones, have `refund_paise`; `total_paise` is
//! always the sum of the lines.

use std::collections::HashSet;

use chrono::{DateTime, Days, NaiveDate, Utc};

use crate::model::{
    Customer, Order, OrderId, OrderItem, OrderStatus, PhoneNumber, Product, Variant,
};

/// The demo shop: everything [`shop`] generates.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoShop {
    /// Customers, ids from 1.
    pub customers: Vec<Customer>,
    /// Products with their variants, ids from 1 (variant ids from 1 too).
    pub products: Vec<Product>,
    /// Orders, fixed ones first.
    pub orders: Vec<Order>,
}

/// The splitmix64 generator (Steele, Lea and Flood, 2014): tiny, fast and,
/// unlike `rand`'s `StdRng`, guaranteed to give the same stream forever.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`0` when `n` is 0). The modulo bias is far below
    /// anything demo data could show.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = hi
            .saturating_sub(lo)
            .saturating_add(1)
            .max(1)
            .unsigned_abs();
        lo.saturating_add(i64::try_from(self.below(span)).unwrap_or(0))
    }

    /// An index into a slice of length `len` (`0` when empty).
    pub fn index(&mut self, len: usize) -> usize {
        usize::try_from(self.below(len as u64)).unwrap_or(0)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// The seed of the demo shop. Changing it changes every generated record.
const SEED: u64 = 0x00A1_A5A2_2024_0002;

/// One catalogue entry; variants are the product of colours and sizes.
struct Spec {
    name: &'static str,
    category: &'static str,
    kind: &'static str,
    brand: Option<&'static str>,
    description: &'static str,
    aliases: &'static [&'static str],
    colours: &'static [&'static str],
    sizes: &'static [&'static str],
    /// Price in rupees, per size when there are as many prices as sizes,
    /// otherwise the first price for every variant.
    prices: &'static [i64],
}

const KURTA: &[&str] = &["कुर्ता", "kurta", "kurtaa", "kurtha"];
const SAREE: &[&str] = &["साड़ी", "saree", "sari", "saari"];
const PHONE: &[&str] = &["फ़ोन", "फोन", "mobile", "मोबाइल", "phone", "smartphone"];
const APPAREL: &[&str] = &["S", "M", "L", "XL", "XXL"];

/// The catalogue. Fixed products come first so their ids are stable and small.
const CATALOGUE: &[Spec] = &[
    Spec {
        name: "Blue Cotton Kurta",
        category: "ethnic_wear",
        kind: "kurta",
        brand: Some("Rangmahal"),
        description: "Breathable straight-cut cotton kurta for daily wear",
        aliases: KURTA,
        colours: &["blue", "white", "maroon"],
        sizes: APPAREL,
        prices: &[1199],
    },
    Spec {
        name: "Men's Linen Kurta",
        category: "ethnic_wear",
        kind: "kurta",
        brand: Some("Khadi Kala"),
        description: "Men's linen kurta with mandarin collar",
        aliases: KURTA,
        colours: &["beige", "olive"],
        sizes: APPAREL,
        prices: &[1499],
    },
    Spec {
        name: "Banarasi Silk Saree",
        category: "ethnic_wear",
        kind: "saree",
        brand: Some("Kashi Weaves"),
        description: "Handwoven Banarasi silk saree with zari border and blouse piece",
        aliases: SAREE,
        colours: &["red", "green", "gold"],
        sizes: &[],
        prices: &[6499],
    },
    Spec {
        name: "Cotton Printed Saree",
        category: "ethnic_wear",
        kind: "saree",
        brand: Some("Rangmahal"),
        description: "Light block-printed cotton saree for summer",
        aliases: SAREE,
        colours: &["blue", "yellow", "green"],
        sizes: &[],
        prices: &[2499],
    },
    Spec {
        name: "Lehenga Choli",
        category: "ethnic_wear",
        kind: "lehenga",
        brand: Some("Shaadi Studio"),
        description: "Embroidered georgette lehenga choli with dupatta",
        aliases: &["लहंगा", "lehenga", "lahanga", "lehnga", "लहंगा चोली"],
        colours: &["maroon", "pink", "red"],
        sizes: &["S", "M", "L"],
        prices: &[3999],
    },
    Spec {
        name: "Chiffon Dupatta",
        category: "ethnic_wear",
        kind: "dupatta",
        brand: None,
        description: "Soft chiffon dupatta with lace border",
        aliases: &["दुपट्टा", "dupatta", "duppata", "chunni", "चुन्नी"],
        colours: &["pink", "yellow", "white"],
        sizes: &[],
        prices: &[499],
    },
    Spec {
        name: "Samsung Galaxy M35 5G",
        category: "electronics",
        kind: "phone",
        brand: Some("Samsung"),
        description: "6.6 inch AMOLED, 6000 mAh battery, 50 MP camera",
        aliases: PHONE,
        colours: &["blue", "black"],
        sizes: &["128GB", "256GB"],
        prices: &[16999, 19999],
    },
    Spec {
        name: "Redmi Note 13 5G",
        category: "electronics",
        kind: "phone",
        brand: Some("Xiaomi"),
        description: "120 Hz AMOLED display, 108 MP camera",
        aliases: PHONE,
        colours: &["black", "blue"],
        sizes: &["128GB", "256GB"],
        prices: &[17999, 19999],
    },
    Spec {
        name: "OnePlus Nord CE4",
        category: "electronics",
        kind: "phone",
        brand: Some("OnePlus"),
        description: "Snapdragon 7 Gen 3, 100 W charging",
        aliases: PHONE,
        colours: &["green", "black"],
        sizes: &["128GB", "256GB"],
        prices: &[24999, 26999],
    },
    Spec {
        name: "boAt Airdopes 141 Earbuds",
        category: "electronics",
        kind: "earbuds",
        brand: Some("boAt"),
        description: "Wireless earbuds with 42 hours playback",
        aliases: &[
            "ईयरबड्स",
            "earphone",
            "earphones",
            "earbuds",
            "earpods",
            "ईयरफ़ोन",
        ],
        colours: &["black", "blue", "white"],
        sizes: &[],
        prices: &[1299],
    },
    Spec {
        name: "20W USB-C Fast Charger",
        category: "electronics",
        kind: "charger",
        brand: Some("Portronics"),
        description: "20 W USB-C power delivery wall charger",
        aliases: &["चार्जर", "charger", "charjer", "adapter"],
        colours: &["white"],
        sizes: &[],
        prices: &[799],
    },
    Spec {
        name: "Power Bank 10000mAh",
        category: "electronics",
        kind: "power bank",
        brand: Some("Ambrane"),
        description: "Slim 10000 mAh power bank with 22.5 W fast charging",
        aliases: &["पावर बैंक", "powerbank", "power bank"],
        colours: &["black", "white"],
        sizes: &[],
        prices: &[1199],
    },
    Spec {
        name: "Prestige Popular 5 Litre Pressure Cooker",
        category: "home_kitchen",
        kind: "pressure cooker",
        brand: Some("Prestige"),
        description: "Aluminium pressure cooker, gas and induction compatible",
        aliases: &["प्रेशर कुकर", "कुकर", "cooker", "kukar", "pressure cooker"],
        colours: &[],
        sizes: &["3L", "5L"],
        prices: &[1599, 1899],
    },
    Spec {
        name: "Bajaj 750W Mixer Grinder",
        category: "home_kitchen",
        kind: "mixer grinder",
        brand: Some("Bajaj"),
        description: "750 W mixer grinder with three stainless steel jars",
        aliases: &["मिक्सर", "मिक्सी", "mixie", "mixer", "mixi", "grinder"],
        colours: &["white"],
        sizes: &[],
        prices: &[3299],
    },
    Spec {
        name: "Cotton Double Bedsheet",
        category: "home_kitchen",
        kind: "bedsheet",
        brand: Some("Bombay Dyeing"),
        description: "Double bedsheet with two pillow covers, 144 thread count",
        aliases: &["चादर", "chadar", "chaadar", "bedsheet", "bed sheet"],
        colours: &["blue", "white", "floral"],
        sizes: &[],
        prices: &[1099],
    },
    Spec {
        name: "Non-stick Tawa",
        category: "home_kitchen",
        kind: "tawa",
        brand: Some("Hawkins"),
        description: "28 cm non-stick tawa for rotis and dosas",
        aliases: &["तवा", "tava", "tawa"],
        colours: &[],
        sizes: &[],
        prices: &[699],
    },
    // The rest of the shop.
    Spec {
        name: "Anarkali Suit",
        category: "ethnic_wear",
        kind: "anarkali suit",
        brand: Some("Shaadi Studio"),
        description: "Flared anarkali suit with churidar and dupatta",
        aliases: &["अनारकली", "anarkali", "suit", "सूट"],
        colours: &["green", "peach"],
        sizes: &["S", "M", "L", "XL"],
        prices: &[2199],
    },
    Spec {
        name: "Palazzo Pants",
        category: "ethnic_wear",
        kind: "palazzo",
        brand: None,
        description: "Rayon palazzo pants with elastic waist",
        aliases: &["प्लाज़ो", "plazo", "palazzo"],
        colours: &["black", "white", "mustard"],
        sizes: &["S", "M", "L", "XL"],
        prices: &[699],
    },
    Spec {
        name: "Nehru Jacket",
        category: "ethnic_wear",
        kind: "nehru jacket",
        brand: Some("Khadi Kala"),
        description: "Cotton-silk Nehru jacket",
        aliases: &["नेहरू जैकेट", "jacket", "modi jacket"],
        colours: &["navy", "grey"],
        sizes: &["M", "L", "XL"],
        prices: &[1799],
    },
    Spec {
        name: "Sherwani",
        category: "ethnic_wear",
        kind: "sherwani",
        brand: Some("Shaadi Studio"),
        description: "Embroidered wedding sherwani with stole",
        aliases: &["शेरवानी", "sherwani", "sherwaani"],
        colours: &["cream", "maroon"],
        sizes: &["M", "L", "XL"],
        prices: &[7999],
    },
    Spec {
        name: "Cotton Kurti Set",
        category: "ethnic_wear",
        kind: "kurti",
        brand: Some("Rangmahal"),
        description: "Printed cotton kurti with matching leggings",
        aliases: &["कुर्ती", "kurti", "kurthi"],
        colours: &["pink", "blue", "yellow"],
        sizes: &["S", "M", "L", "XL"],
        prices: &[999],
    },
    Spec {
        name: "Patiala Salwar",
        category: "ethnic_wear",
        kind: "salwar",
        brand: None,
        description: "Cotton Patiala salwar",
        aliases: &["सलवार", "salwar", "shalwar", "patiala"],
        colours: &["white", "black"],
        sizes: &["Free Size"],
        prices: &[599],
    },
    Spec {
        name: "Silk Dhoti",
        category: "ethnic_wear",
        kind: "dhoti",
        brand: None,
        description: "Art silk dhoti for festivals and pujas",
        aliases: &["धोती", "dhoti", "veshti"],
        colours: &["cream", "gold"],
        sizes: &["Free Size"],
        prices: &[899],
    },
    Spec {
        name: "Phulkari Stole",
        category: "ethnic_wear",
        kind: "stole",
        brand: None,
        description: "Hand-embroidered Phulkari stole from Punjab",
        aliases: &["फुलकारी", "phulkari", "stole"],
        colours: &["orange", "pink"],
        sizes: &[],
        prices: &[899],
    },
    Spec {
        name: "boAt Rockerz 255 Neckband",
        category: "electronics",
        kind: "neckband",
        brand: Some("boAt"),
        description: "Bluetooth neckband with magnetic earbuds",
        aliases: &["नेकबैंड", "neckband", "neck band"],
        colours: &["black", "blue"],
        sizes: &[],
        prices: &[1099],
    },
    Spec {
        name: "Noise ColorFit Pulse Smartwatch",
        category: "electronics",
        kind: "smartwatch",
        brand: Some("Noise"),
        description: "1.85 inch display smartwatch with heart-rate monitor",
        aliases: &["स्मार्टवॉच", "smart watch", "smartwatch"],
        colours: &["black", "rose pink"],
        sizes: &[],
        prices: &[1799],
    },
    Spec {
        name: "JBL Go 3 Bluetooth Speaker",
        category: "electronics",
        kind: "speaker",
        brand: Some("JBL"),
        description: "Portable waterproof Bluetooth speaker",
        aliases: &["स्पीकर", "speaker", "bluetooth speaker"],
        colours: &["black", "red", "blue"],
        sizes: &[],
        prices: &[2999],
    },
    Spec {
        name: "USB-C Cable 1m",
        category: "electronics",
        kind: "cable",
        brand: Some("Portronics"),
        description: "Braided USB-C to USB-C cable, 60 W",
        aliases: &["केबल", "cable", "data cable", "wire"],
        colours: &["black", "white"],
        sizes: &[],
        prices: &[299],
    },
    Spec {
        name: "Xiaomi Smart LED TV 32 inch",
        category: "electronics",
        kind: "tv",
        brand: Some("Xiaomi"),
        description: "32 inch HD Ready smart Google TV",
        aliases: &["टीवी", "tv", "television", "tivi"],
        colours: &["black"],
        sizes: &[],
        prices: &[12999],
    },
    Spec {
        name: "Logitech Wireless Mouse",
        category: "electronics",
        kind: "mouse",
        brand: Some("Logitech"),
        description: "Compact wireless mouse with USB receiver",
        aliases: &["माउस", "mouse"],
        colours: &["black", "grey"],
        sizes: &[],
        prices: &[599],
    },
    Spec {
        name: "Lenovo Tab M9",
        category: "electronics",
        kind: "tablet",
        brand: Some("Lenovo"),
        description: "9 inch Android tablet, 4 GB RAM",
        aliases: &["टैबलेट", "tablet", "tab"],
        colours: &["grey"],
        sizes: &["64GB"],
        prices: &[12499],
    },
    Spec {
        name: "Extension Board 4 Socket",
        category: "electronics",
        kind: "extension board",
        brand: Some("Havells"),
        description: "Four-socket extension board with surge protection",
        aliases: &["एक्सटेंशन", "extension", "board", "spike guard"],
        colours: &["white"],
        sizes: &[],
        prices: &[499],
    },
    Spec {
        name: "Steel Water Bottle 1L",
        category: "home_kitchen",
        kind: "water bottle",
        brand: Some("Milton"),
        description: "Insulated stainless steel bottle, keeps water cold 24 hours",
        aliases: &["बोतल", "bottle", "botal"],
        colours: &["silver", "blue", "black"],
        sizes: &[],
        prices: &[399],
    },
    Spec {
        name: "Pigeon Electric Kettle 1.5L",
        category: "home_kitchen",
        kind: "kettle",
        brand: Some("Pigeon"),
        description: "1.5 litre stainless steel electric kettle",
        aliases: &["केतली", "kettle", "ketli"],
        colours: &["silver"],
        sizes: &[],
        prices: &[899],
    },
    Spec {
        name: "Milton Casserole Set",
        category: "home_kitchen",
        kind: "casserole",
        brand: Some("Milton"),
        description: "Set of three insulated casseroles for rotis",
        aliases: &["कैसरोल", "casserole", "hotpot", "hot case"],
        colours: &["red", "blue"],
        sizes: &[],
        prices: &[1199],
    },
    Spec {
        name: "Iron Kadhai",
        category: "home_kitchen",
        kind: "kadhai",
        brand: None,
        description: "Pre-seasoned cast iron kadhai, 26 cm",
        aliases: &["कढ़ाई", "kadai", "kadhai", "karahi"],
        colours: &[],
        sizes: &[],
        prices: &[799],
    },
    Spec {
        name: "Melamine Dinner Set 24 Pieces",
        category: "home_kitchen",
        kind: "dinner set",
        brand: Some("Cello"),
        description: "24-piece melamine dinner set for six",
        aliases: &["डिनर सेट", "dinner set", "bartan"],
        colours: &["white", "floral"],
        sizes: &[],
        prices: &[2499],
    },
    Spec {
        name: "Cushion Covers Set of 5",
        category: "home_kitchen",
        kind: "cushion cover",
        brand: None,
        description: "Five jacquard cushion covers, 16 x 16 inch",
        aliases: &["कुशन कवर", "cushion", "cushion cover"],
        colours: &["maroon", "gold", "teal"],
        sizes: &[],
        prices: &[599],
    },
    Spec {
        name: "Philips Dry Iron",
        category: "home_kitchen",
        kind: "iron",
        brand: Some("Philips"),
        description: "1000 W dry iron with non-stick soleplate",
        aliases: &["प्रेस", "press", "iron", "istri"],
        colours: &["white", "blue"],
        sizes: &[],
        prices: &[749],
    },
    Spec {
        name: "Milton Steel Lunch Box",
        category: "home_kitchen",
        kind: "lunch box",
        brand: Some("Milton"),
        description: "Three-container steel lunch box with bag",
        aliases: &["टिफ़िन", "tiffin", "lunch box", "dabba"],
        colours: &["blue", "green"],
        sizes: &[],
        prices: &[499],
    },
    Spec {
        name: "Havells Ceiling Fan 1200mm",
        category: "home_kitchen",
        kind: "ceiling fan",
        brand: Some("Havells"),
        description: "1200 mm high-speed ceiling fan",
        aliases: &["पंखा", "pankha", "fan"],
        colours: &["white", "brown"],
        sizes: &[],
        prices: &[2299],
    },
    Spec {
        name: "Wooden Chopping Board",
        category: "home_kitchen",
        kind: "chopping board",
        brand: None,
        description: "Neem wood chopping board",
        aliases: &["चॉपिंग बोर्ड", "chopping board", "cutting board"],
        colours: &[],
        sizes: &[],
        prices: &[299],
    },
    Spec {
        name: "Steel Masala Dabba",
        category: "home_kitchen",
        kind: "masala box",
        brand: None,
        description: "Stainless steel spice box with seven bowls",
        aliases: &["मसाला डब्बा", "masala dabba", "spice box"],
        colours: &[],
        sizes: &[],
        prices: &[699],
    },
    Spec {
        name: "Cotton Bath Towel Set",
        category: "home_kitchen",
        kind: "towel",
        brand: Some("Bombay Dyeing"),
        description: "Two soft cotton bath towels",
        aliases: &["तौलिया", "towel", "tauliya"],
        colours: &["white", "blue", "pink"],
        sizes: &[],
        prices: &[799],
    },
    Spec {
        name: "Men's Running Shoes",
        category: "footwear",
        kind: "shoes",
        brand: Some("Campus"),
        description: "Lightweight mesh running shoes",
        aliases: &["जूते", "joote", "shoes", "sports shoes"],
        colours: &["black", "grey", "blue"],
        sizes: &["6", "7", "8", "9", "10", "11"],
        prices: &[1999],
    },
    Spec {
        name: "Kolhapuri Chappal",
        category: "footwear",
        kind: "chappal",
        brand: None,
        description: "Handmade leather Kolhapuri chappal",
        aliases: &["चप्पल", "chappal", "kolhapuri"],
        colours: &["tan", "brown"],
        sizes: &["5", "6", "7", "8", "9"],
        prices: &[799],
    },
    Spec {
        name: "Bata Formal Shoes",
        category: "footwear",
        kind: "formal shoes",
        brand: Some("Bata"),
        description: "Men's leather lace-up formal shoes",
        aliases: &["फॉर्मल जूते", "formal shoes", "office shoes"],
        colours: &["black", "brown"],
        sizes: &["7", "8", "9", "10"],
        prices: &[2299],
    },
    Spec {
        name: "Punjabi Jutti",
        category: "footwear",
        kind: "jutti",
        brand: None,
        description: "Embroidered Punjabi jutti",
        aliases: &["जूती", "jutti", "juttis", "mojari"],
        colours: &["gold", "maroon"],
        sizes: &["5", "6", "7", "8"],
        prices: &[999],
    },
    Spec {
        name: "Flip Flops",
        category: "footwear",
        kind: "slippers",
        brand: Some("Sparx"),
        description: "Everyday rubber flip flops",
        aliases: &["चप्पल", "hawai chappal", "slippers", "flip flop"],
        colours: &["black", "blue"],
        sizes: &["6", "7", "8", "9", "10"],
        prices: &[299],
    },
    Spec {
        name: "Women's Block Heel Sandals",
        category: "footwear",
        kind: "sandals",
        brand: Some("Metro"),
        description: "Comfortable block heel sandals",
        aliases: &["सैंडल", "sandal", "sandals", "sandle"],
        colours: &["black", "beige"],
        sizes: &["4", "5", "6", "7"],
        prices: &[1299],
    },
    Spec {
        name: "Kids School Shoes",
        category: "footwear",
        kind: "school shoes",
        brand: Some("Bata"),
        description: "Black velcro school shoes for children",
        aliases: &["स्कूल शूज़", "school shoes"],
        colours: &["black"],
        sizes: &["1", "2", "3", "4"],
        prices: &[799],
    },
    Spec {
        name: "Rubber Clogs",
        category: "footwear",
        kind: "clogs",
        brand: None,
        description: "Waterproof rubber clogs for the monsoon",
        aliases: &["क्लॉग्स", "clogs", "crocs"],
        colours: &["navy", "olive"],
        sizes: &["6", "7", "8", "9"],
        prices: &[899],
    },
    Spec {
        name: "Lakme Eyeconic Kajal",
        category: "beauty",
        kind: "kajal",
        brand: Some("Lakme"),
        description: "Smudge-proof kajal that lasts 22 hours",
        aliases: &["काजल", "kajal", "kaajal", "kohl"],
        colours: &["black"],
        sizes: &[],
        prices: &[199],
    },
    Spec {
        name: "Himalaya Neem Face Wash",
        category: "beauty",
        kind: "face wash",
        brand: Some("Himalaya"),
        description: "Neem and turmeric face wash, 150 ml",
        aliases: &["फेस वॉश", "facewash", "face wash"],
        colours: &[],
        sizes: &["100ml", "150ml"],
        prices: &[149, 179],
    },
    Spec {
        name: "Mamaearth Onion Hair Oil",
        category: "beauty",
        kind: "hair oil",
        brand: Some("Mamaearth"),
        description: "Onion and redensyl hair oil, 250 ml",
        aliases: &["बालों का तेल", "hair oil", "tel", "तेल"],
        colours: &[],
        sizes: &[],
        prices: &[399],
    },
    Spec {
        name: "Biotique Sunscreen SPF 50",
        category: "beauty",
        kind: "sunscreen",
        brand: Some("Biotique"),
        description: "Aloe vera sunscreen lotion, SPF 50",
        aliases: &["सनस्क्रीन", "sunscreen", "sun cream"],
        colours: &[],
        sizes: &[],
        prices: &[349],
    },
    Spec {
        name: "SUGAR Matte Lipstick",
        category: "beauty",
        kind: "lipstick",
        brand: Some("SUGAR"),
        description: "Long-wear matte lipstick",
        aliases: &["लिपस्टिक", "lipstick", "lali"],
        colours: &["red", "pink", "nude"],
        sizes: &[],
        prices: &[499],
    },
    Spec {
        name: "Philips Beard Trimmer",
        category: "beauty",
        kind: "trimmer",
        brand: Some("Philips"),
        description: "Cordless beard trimmer with 20 length settings",
        aliases: &["ट्रिमर", "trimmer", "trimer"],
        colours: &["black"],
        sizes: &[],
        prices: &[1499],
    },
    Spec {
        name: "Natural Mehendi Cones",
        category: "beauty",
        kind: "mehendi",
        brand: None,
        description: "Pack of twelve natural henna cones",
        aliases: &["मेहंदी", "mehndi", "mehendi", "henna"],
        colours: &[],
        sizes: &[],
        prices: &[149],
    },
    Spec {
        name: "Dabur Gulabari Rose Water",
        category: "beauty",
        kind: "rose water",
        brand: Some("Dabur"),
        description: "Rose water toner, 120 ml",
        aliases: &["गुलाब जल", "gulab jal", "rose water"],
        colours: &[],
        sizes: &[],
        prices: &[99],
    },
    Spec {
        name: "Aloe Vera Gel",
        category: "beauty",
        kind: "aloe vera gel",
        brand: Some("Patanjali"),
        description: "Soothing aloe vera gel, 150 ml",
        aliases: &["एलोवेरा", "aloe vera", "alovera"],
        colours: &[],
        sizes: &[],
        prices: &[249],
    },
    Spec {
        name: "Oxidised Jhumka Earrings",
        category: "accessories",
        kind: "earrings",
        brand: None,
        description: "Oxidised silver jhumka earrings",
        aliases: &["झुमके", "jhumka", "jhumke", "earrings"],
        colours: &["silver"],
        sizes: &[],
        prices: &[349],
    },
    Spec {
        name: "Kundan Necklace Set",
        category: "accessories",
        kind: "necklace",
        brand: None,
        description: "Kundan necklace with matching earrings",
        aliases: &["हार", "haar", "necklace", "kundan"],
        colours: &["gold"],
        sizes: &[],
        prices: &[1499],
    },
    Spec {
        name: "Glass Bangles Set",
        category: "accessories",
        kind: "bangles",
        brand: None,
        description: "Two dozen festive glass bangles",
        aliases: &["चूड़ियाँ", "chudiyan", "choodi", "bangles"],
        colours: &["red", "green", "gold"],
        sizes: &["2.4", "2.6", "2.8"],
        prices: &[249],
    },
    Spec {
        name: "Leather Wallet",
        category: "accessories",
        kind: "wallet",
        brand: Some("WildHorn"),
        description: "Men's genuine leather bi-fold wallet",
        aliases: &["पर्स", "purse", "wallet", "batua"],
        colours: &["brown", "black"],
        sizes: &[],
        prices: &[699],
    },
    Spec {
        name: "Women's Handbag",
        category: "accessories",
        kind: "handbag",
        brand: Some("Lavie"),
        description: "Structured handbag with sling strap",
        aliases: &["हैंडबैग", "handbag", "bag", "jhola"],
        colours: &["tan", "black", "red"],
        sizes: &[],
        prices: &[1299],
    },
    Spec {
        name: "Laptop Backpack",
        category: "accessories",
        kind: "backpack",
        brand: Some("Skybags"),
        description: "30 litre backpack with padded laptop sleeve",
        aliases: &["बैग", "backpack", "school bag", "bag pack"],
        colours: &["black", "blue"],
        sizes: &[],
        prices: &[1499],
    },
    Spec {
        name: "Aviator Sunglasses",
        category: "accessories",
        kind: "sunglasses",
        brand: Some("Fastrack"),
        description: "UV400 aviator sunglasses",
        aliases: &["चश्मा", "chashma", "goggles", "sunglasses"],
        colours: &["black", "gold"],
        sizes: &[],
        prices: &[799],
    },
    Spec {
        name: "Sonata Analog Watch",
        category: "accessories",
        kind: "watch",
        brand: Some("Sonata"),
        description: "Analog wrist watch with leather strap",
        aliases: &["घड़ी", "ghadi", "watch"],
        colours: &["brown", "black"],
        sizes: &[],
        prices: &[1999],
    },
    Spec {
        name: "Embroidered Potli Bag",
        category: "accessories",
        kind: "potli",
        brand: None,
        description: "Silk potli bag for weddings",
        aliases: &["पोटली", "potli", "batwa"],
        colours: &["maroon", "gold", "pink"],
        sizes: &[],
        prices: &[399],
    },
];

/// Builds the demo shop for `today`. Pure and deterministic.
pub fn shop(today: NaiveDate) -> DemoShop {
    let mut rng = SplitMix64::new(SEED);
    let products = products(&mut rng);
    let customers = customers(&mut rng);
    let orders = orders(&mut rng, today, &customers, &products);
    DemoShop {
        customers,
        products,
        orders,
    }
}

/// Products whose every variant is out of stock.
const SOLD_OUT: &[&str] = &["OnePlus Nord CE4", "Sherwani", "Kundan Necklace Set"];

fn products(rng: &mut SplitMix64) -> Vec<Product> {
    let mut out = Vec::with_capacity(CATALOGUE.len());
    let mut variant_id = 0_i64;
    for (index, spec) in CATALOGUE.iter().enumerate() {
        let product_id = i64::try_from(index).unwrap_or(0) + 1;
        let colours: Vec<Option<&str>> = if spec.colours.is_empty() {
            vec![None]
        } else {
            spec.colours.iter().copied().map(Some).collect()
        };
        let sizes: Vec<Option<&str>> = if spec.sizes.is_empty() {
            vec![None]
        } else {
            spec.sizes.iter().copied().map(Some).collect()
        };
        let mut variants = Vec::new();
        for colour in &colours {
            for (size_index, size) in sizes.iter().enumerate() {
                variant_id += 1;
                let rupees = if spec.prices.len() == sizes.len() {
                    spec.prices[size_index]
                } else {
                    spec.prices.first().copied().unwrap_or(0)
                };
                // Draw for every variant, even overridden ones, so fixing a
                // stock fact never shifts the rest of the stream.
                let drawn = if rng.chance(10) { 0 } else { rng.range(1, 40) };
                let stock = stock_override(spec.name, *colour, *size).unwrap_or(drawn);
                variants.push(Variant {
                    id: variant_id,
                    sku: sku(spec.kind, product_id, *colour, *size),
                    colour: colour.map(str::to_owned),
                    size: size.map(str::to_owned),
                    stock: u32::try_from(stock).unwrap_or(0),
                    price_paise: rupees * 100,
                });
            }
        }
        out.push(Product {
            id: product_id,
            name: spec.name.to_owned(),
            category: spec.category.to_owned(),
            kind: spec.kind.to_owned(),
            aliases: spec.aliases.iter().map(|a| (*a).to_owned()).collect(),
            brand: spec.brand.map(str::to_owned),
            description: spec.description.to_owned(),
            variants,
        });
    }
    out
}

/// The stock facts the fixtures promise; `None` leaves the drawn value.
fn stock_override(product: &str, colour: Option<&str>, size: Option<&str>) -> Option<i64> {
    if SOLD_OUT.contains(&product) {
        return Some(0);
    }
    match (product, colour, size) {
        ("Blue Cotton Kurta", Some("blue"), Some("M")) => Some(12),
        ("Blue Cotton Kurta", Some("blue"), Some("XL")) => Some(0),
        ("Blue Cotton Kurta", Some("white"), Some(_)) => Some(10),
        ("Lehenga Choli", Some("red"), _) => Some(0),
        // Variants named by fixed orders and by the agent's happy paths stay
        // in stock so those conversations can go on.
        ("Lehenga Choli", Some("maroon"), _) => Some(6),
        ("Samsung Galaxy M35 5G" | "Redmi Note 13 5G", _, _) => Some(15),
        ("boAt Airdopes 141 Earbuds" | "Chiffon Dupatta" | "Cotton Double Bedsheet", _, _) => {
            Some(25)
        }
        ("Banarasi Silk Saree", Some("red"), _) => Some(4),
        (
            "Prestige Popular 5 Litre Pressure Cooker"
            | "Bajaj 750W Mixer Grinder"
            | "20W USB-C Fast Charger"
            | "Men's Linen Kurta",
            _,
            _,
        ) => Some(18),
        _ => None,
    }
}

fn sku(kind: &str, product_id: i64, colour: Option<&str>, size: Option<&str>) -> String {
    let code = |s: &str, n: usize| -> String {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .take(n)
            .collect::<String>()
            .to_ascii_uppercase()
    };
    let mut sku = format!("{}-{product_id:03}", code(kind, 3));
    if let Some(c) = colour {
        sku.push('-');
        sku.push_str(&code(c, 3));
    }
    if let Some(s) = size {
        sku.push('-');
        sku.push_str(&code(s, 8));
    }
    sku
}

/// A name pool: first names and surnames that go together, and the cities
/// where people with such names most often live.
struct Region {
    first: &'static [&'static str],
    last: &'static [&'static str],
    cities: &'static [usize],
}

const REGIONS: &[Region] = &[
    Region {
        first: &[
            "Aarav", "Vivek", "Rohit", "Neha", "Pooja", "Sanjay", "Kavita", "Amit", "Sunita",
            "Deepak", "Ritu", "Manish",
        ],
        last: &[
            "Sharma",
            "Gupta",
            "Singh",
            "Agarwal",
            "Malhotra",
            "Chauhan",
            "Yadav",
            "Mishra",
            "Srivastava",
            "Tiwari",
        ],
        cities: &[0, 9, 10, 8, 14],
    },
    Region {
        first: &[
            "Gurpreet", "Harpreet", "Manpreet", "Jaspreet", "Simran", "Amandeep", "Navjot",
            "Ravneet",
        ],
        last: &["Gill", "Sandhu", "Dhillon", "Bajwa", "Grewal", "Sidhu"],
        cities: &[10, 0],
    },
    Region {
        first: &[
            "Aditya",
            "Sneha",
            "Prathamesh",
            "Sayali",
            "Omkar",
            "Rutuja",
            "Hardik",
            "Krupa",
            "Jignesh",
            "Dhruvi",
            "Tejas",
            "Mrunal",
        ],
        last: &[
            "Patil", "Deshmukh", "Kulkarni", "Joshi", "Patel", "Shah", "Mehta", "Desai", "Pawar",
            "Chavan",
        ],
        cities: &[1, 2, 7, 13],
    },
    Region {
        first: &[
            "Karthik",
            "Lakshmi",
            "Srinivas",
            "Divya",
            "Arjun",
            "Meenakshi",
            "Vignesh",
            "Keerthana",
            "Suresh",
            "Anjali",
            "Harini",
            "Pranav",
        ],
        last: &[
            "Iyer",
            "Reddy",
            "Nair",
            "Menon",
            "Pillai",
            "Rao",
            "Krishnan",
            "Subramanian",
            "Naidu",
            "Gowda",
            "Shetty",
        ],
        cities: &[3, 4, 5, 11],
    },
    Region {
        first: &[
            "Sourav", "Ankita", "Debashis", "Rupa", "Arnab", "Moumita", "Subhash", "Priyanka",
            "Bikash", "Sudipta",
        ],
        last: &[
            "Banerjee",
            "Chatterjee",
            "Das",
            "Mukherjee",
            "Ghosh",
            "Bose",
            "Mohanty",
            "Sahoo",
            "Dutta",
        ],
        cities: &[6, 12, 15, 14],
    },
    Region {
        first: &[
            "Ayesha", "Imran", "Fatima", "Salman", "Zoya", "Faizan", "Sana", "Irfan", "Nazia",
            "Arshad",
        ],
        last: &[
            "Khan", "Qureshi", "Ansari", "Siddiqui", "Shaikh", "Hussain", "Mirza",
        ],
        cities: &[9, 5, 1, 0],
    },
    Region {
        first: &[
            "Bhupen", "Rimjhim", "Lalit", "Mousumi", "Pallavi", "Tenzing",
        ],
        last: &["Bora", "Baruah", "Gogoi", "Kalita", "Saikia"],
        cities: &[15],
    },
];

/// Cities with a few localities and their PIN codes.
const CITIES: &[(&str, &[(&str, &str)])] = &[
    (
        "Delhi",
        &[
            ("Rajouri Garden", "110027"),
            ("Karol Bagh", "110005"),
            ("Dwarka Sector 12", "110078"),
            ("Mayur Vihar Phase 1", "110091"),
            ("Saket", "110017"),
        ],
    ),
    (
        "Mumbai",
        &[
            ("Andheri West", "400058"),
            ("Borivali East", "400066"),
            ("Dadar West", "400028"),
            ("Powai", "400076"),
        ],
    ),
    (
        "Pune",
        &[
            ("Kothrud", "411038"),
            ("Baner", "411045"),
            ("Hadapsar", "411028"),
        ],
    ),
    (
        "Bengaluru",
        &[
            ("Indiranagar", "560038"),
            ("Jayanagar 4th Block", "560011"),
            ("Whitefield", "560066"),
            ("HSR Layout", "560102"),
        ],
    ),
    (
        "Chennai",
        &[
            ("T. Nagar", "600017"),
            ("Adyar", "600020"),
            ("Velachery", "600042"),
        ],
    ),
    (
        "Hyderabad",
        &[
            ("Banjara Hills", "500034"),
            ("Kukatpally", "500072"),
            ("Gachibowli", "500032"),
        ],
    ),
    (
        "Kolkata",
        &[
            ("Salt Lake Sector 1", "700064"),
            ("Behala", "700034"),
            ("Ballygunge", "700019"),
        ],
    ),
    (
        "Ahmedabad",
        &[
            ("Navrangpura", "380009"),
            ("Satellite", "380015"),
            ("Maninagar", "380008"),
        ],
    ),
    (
        "Jaipur",
        &[
            ("Malviya Nagar", "302017"),
            ("Vaishali Nagar", "302021"),
            ("C-Scheme", "302001"),
        ],
    ),
    (
        "Lucknow",
        &[
            ("Gomti Nagar", "226010"),
            ("Aliganj", "226024"),
            ("Hazratganj", "226001"),
        ],
    ),
    (
        "Chandigarh",
        &[("Sector 22", "160022"), ("Sector 35", "160035")],
    ),
    ("Kochi", &[("Kakkanad", "682030"), ("Edappally", "682024")]),
    (
        "Bhubaneswar",
        &[("Saheed Nagar", "751007"), ("Patia", "751024")],
    ),
    (
        "Indore",
        &[("Vijay Nagar", "452010"), ("Palasia", "452001")],
    ),
    (
        "Patna",
        &[("Boring Road", "800001"), ("Kankarbagh", "800020")],
    ),
    ("Guwahati", &[("Zoo Road", "781024"), ("Beltola", "781028")]),
];

const SOCIETIES: &[&str] = &[
    "Shanti Kunj",
    "Sai Krupa",
    "Green Park",
    "Gokul Dham",
    "Sunshine Residency",
    "Lotus Enclave",
    "Ashirwad",
    "Royal Palms",
    "Ganga Vihar",
    "Silver Oak",
];

/// The four fixed customers.
fn fixed_customers() -> Vec<Customer> {
    let c = |id, name: &str, phone: &str, email: &str, city: &str, address: &str| Customer {
        id,
        name: name.to_owned(),
        phone: PhoneNumber::new(phone),
        email: Some(email.to_owned()),
        city: city.to_owned(),
        address: address.to_owned(),
    };
    vec![
        c(
            1,
            "Priya Sharma",
            "+919812345678",
            "priya.sharma@example.com",
            "Delhi",
            "B-42 Lajpat Nagar II, New Delhi 110024",
        ),
        c(
            2,
            "Rahul Verma",
            "+919876543210",
            "rahul.verma@example.com",
            "Mumbai",
            "Flat 304, Sai Krupa CHS, Andheri West, Mumbai 400058",
        ),
        c(
            3,
            "Ananya Iyer",
            "+919900112233",
            "ananya.iyer@example.com",
            "Bengaluru",
            "12, 4th Cross, Indiranagar, Bengaluru 560038",
        ),
        c(
            4,
            "Mohammed Arif",
            "+919123456780",
            "mohammed.arif@example.com",
            "Lucknow",
            "27 Aminabad Road, Lucknow 226018",
        ),
    ]
}

/// Number of customers in the demo shop.
const CUSTOMER_COUNT: i64 = 126;

fn customers(rng: &mut SplitMix64) -> Vec<Customer> {
    let mut out = fixed_customers();
    let mut phones: HashSet<String> = out.iter().map(|c| c.phone.as_str().to_owned()).collect();
    let mut names: HashSet<String> = out.iter().map(|c| c.name.clone()).collect();
    let mut id = 4;
    while id < CUSTOMER_COUNT {
        let region = &REGIONS[rng.index(REGIONS.len())];
        let name = format!(
            "{} {}",
            region.first[rng.index(region.first.len())],
            region.last[rng.index(region.last.len())]
        );
        // Most people live where their names are common, some moved away.
        let city_index = if rng.chance(80) {
            region.cities[rng.index(region.cities.len())]
        } else {
            rng.index(CITIES.len())
        };
        let phone = format!("+91{}{:09}", rng.range(6, 9), rng.below(1_000_000_000));
        if !names.insert(name.clone()) || !phones.insert(phone.clone()) {
            continue;
        }
        id += 1;
        let (city, localities) = CITIES[city_index];
        let (locality, pin) = localities[rng.index(localities.len())];
        let address = match rng.below(3) {
            0 => format!(
                "Flat {}{:02}, {} Apartments, {locality}, {city} {pin}",
                rng.range(1, 12),
                rng.range(1, 8),
                SOCIETIES[rng.index(SOCIETIES.len())]
            ),
            1 => format!("House No. {}, {locality}, {city} {pin}", rng.range(2, 980)),
            _ => format!(
                "{}/{}, Near {} Market, {locality}, {city} {pin}",
                rng.range(1, 60),
                rng.range(1, 9),
                locality.split(' ').next().unwrap_or(locality)
            ),
        };
        let email = rng.chance(70).then(|| {
            format!(
                "{}{}@example.com",
                name.to_ascii_lowercase().replace(' ', "."),
                rng.range(1, 99)
            )
        });
        out.push(Customer {
            id,
            name,
            phone: PhoneNumber::new(&phone),
            email,
            city: city.to_owned(),
            address,
        });
    }
    out
}

/// Fixed order numbers; generated ones keep at least two digits away from these.
const FIXED_ORDER_NUMBERS: [u32; 11] = [
    45678, 45679, 12345, 23456, 34567, 56789, 67890, 78901, 89012, 11223, 33445,
];

/// Number of generated (non-fixed) orders.
const GENERATED_ORDERS: usize = 309;

const COURIERS: &[(&str, &str)] = &[
    ("Delhivery", "DL"),
    ("Blue Dart", "BD"),
    ("Ekart", "EK"),
    ("Xpressbees", "XB"),
    ("DTDC", "DT"),
    ("Shadowfax", "SF"),
    ("India Post", "EP"),
];

const PAYMENT_METHODS: &[&str] = &[
    "upi",
    "upi",
    "upi",
    "card",
    "cod",
    "cod",
    "netbanking",
    "wallet",
];

fn at(day: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    day.and_hms_opt(hour, minute, 0)
        .unwrap_or_default()
        .and_utc()
}

/// `days` from `today` at `hour:minute`, except that a moment today (or
/// later) is moved to just after midnight UTC: nothing in the shop may lie in
/// the future, whatever time of day it is loaded.
fn moment(today: NaiveDate, days: i64, hour: u32, minute: u32) -> DateTime<Utc> {
    if days >= 0 {
        at(today, 0, minute / 4)
    } else {
        at(plus(today, days), hour, minute)
    }
}

fn plus(day: NaiveDate, days: i64) -> NaiveDate {
    if days >= 0 {
        day.checked_add_days(Days::new(days.unsigned_abs()))
    } else {
        day.checked_sub_days(Days::new(days.unsigned_abs()))
    }
    .unwrap_or(day)
}

/// Finds a variant by product name, colour and size (fixtures only).
fn line(products: &[Product], name: &str, colour: Option<&str>, size: Option<&str>) -> OrderItem {
    let product = products.iter().find(|p| p.name == name);
    let variant = product.and_then(|p| {
        p.variants
            .iter()
            .find(|v| v.colour.as_deref() == colour && v.size.as_deref() == size)
    });
    match (product, variant) {
        (Some(p), Some(v)) => item(p, v, 1),
        // Unreachable with the catalogue above; a unit test checks every
        // fixed line resolves.
        _ => OrderItem {
            product_id: 0,
            variant_id: 0,
            product_name: name.to_owned(),
            colour: colour.map(str::to_owned),
            size: size.map(str::to_owned),
            quantity: 1,
            unit_price_paise: 0,
        },
    }
}

fn item(product: &Product, variant: &Variant, quantity: u32) -> OrderItem {
    OrderItem {
        product_id: product.id,
        variant_id: variant.id,
        product_name: product.name.clone(),
        colour: variant.colour.clone(),
        size: variant.size.clone(),
        quantity,
        unit_price_paise: variant.price_paise,
    }
}

/// Everything about an order except its lines and customer.
struct Shape {
    number: u32,
    customer: usize,
    status: OrderStatus,
    payment: &'static str,
    placed: DateTime<Utc>,
    expected: Option<NaiveDate>,
    delivered: Option<DateTime<Utc>>,
    courier: Option<(&'static str, String)>,
    refund: bool,
    updated: DateTime<Utc>,
}

fn build(shape: Shape, items: Vec<OrderItem>, customers: &[Customer]) -> Order {
    let customer = &customers[shape.customer];
    let total_paise = items
        .iter()
        .map(|i| i.unit_price_paise * i64::from(i.quantity))
        .sum();
    let (courier, tracking_number) = match shape.courier {
        Some((c, t)) => (Some(c.to_owned()), Some(t)),
        None => (None, None),
    };
    Order {
        id: OrderId::from_number(shape.number),
        customer_id: customer.id,
        customer_name: customer.name.clone(),
        customer_phone: customer.phone.clone(),
        status: shape.status,
        items,
        total_paise,
        payment_method: shape.payment.to_owned(),
        placed_at: shape.placed,
        expected_delivery: shape.expected,
        delivered_at: shape.delivered,
        courier,
        tracking_number,
        delivery_address: customer.address.clone(),
        delivery_city: customer.city.clone(),
        refund_paise: shape.refund.then_some(total_paise),
        updated_at: shape.updated,
    }
}

fn fixed_orders(today: NaiveDate, customers: &[Customer], products: &[Product]) -> Vec<Order> {
    let d = |n| plus(today, n);
    let shape = |number, customer, status, payment, placed_days: i64| Shape {
        number,
        customer,
        status,
        payment,
        placed: at(d(placed_days), 10, 15),
        expected: None,
        delivered: None,
        courier: None,
        refund: false,
        updated: at(d(placed_days), 10, 15),
    };
    let courier = |name: &'static str, tracking: &str| Some((name, tracking.to_owned()));
    use OrderStatus as S;
    let mut out = Vec::new();
    let mut push = |s: Shape, name: &str, colour: Option<&str>, size: Option<&str>| {
        out.push(build(
            s,
            vec![line(products, name, colour, size)],
            customers,
        ));
    };
    push(
        Shape {
            expected: Some(d(2)),
            courier: courier("Delhivery", "DL1234567890IN"),
            updated: at(d(-1), 18, 40),
            ..shape(45678, 0, S::Shipped, "upi", -3)
        },
        "Blue Cotton Kurta",
        Some("blue"),
        Some("M"),
    );
    push(
        Shape {
            delivered: Some(at(d(-3), 14, 5)),
            courier: courier("Blue Dart", "BD7788990011IN"),
            updated: at(d(-3), 14, 5),
            ..shape(45679, 0, S::Delivered, "card", -8)
        },
        "Prestige Popular 5 Litre Pressure Cooker",
        None,
        Some("5L"),
    );
    push(
        Shape {
            expected: Some(d(0)),
            courier: courier("Ekart", "EK5566778899IN"),
            updated: at(d(0), 0, 20),
            ..shape(12345, 1, S::OutForDelivery, "upi", -4)
        },
        "boAt Airdopes 141 Earbuds",
        Some("black"),
        None,
    );
    push(
        Shape {
            expected: Some(d(5)),
            placed: at(d(0), 0, 5),
            updated: at(d(0), 0, 5),
            ..shape(23456, 1, S::Placed, "cod", 0)
        },
        "Banarasi Silk Saree",
        Some("red"),
        None,
    );
    push(
        Shape {
            expected: Some(d(4)),
            updated: at(d(0), 0, 10),
            ..shape(34567, 2, S::Packed, "card", -1)
        },
        "Bajaj 750W Mixer Grinder",
        Some("white"),
        None,
    );
    push(
        Shape {
            refund: true,
            updated: at(d(-8), 12, 0),
            ..shape(56789, 2, S::Cancelled, "upi", -10)
        },
        "Samsung Galaxy M35 5G",
        Some("blue"),
        Some("128GB"),
    );
    push(
        Shape {
            delivered: Some(at(d(-12), 16, 20)),
            courier: courier("Xpressbees", "XB4455667788IN"),
            updated: at(d(-5), 11, 0),
            ..shape(67890, 3, S::Returned, "cod", -18)
        },
        "Cotton Double Bedsheet",
        Some("blue"),
        None,
    );
    push(
        Shape {
            delivered: Some(at(d(-9), 13, 10)),
            courier: courier("Delhivery", "DL9988776655IN"),
            refund: true,
            updated: at(d(-2), 15, 45),
            ..shape(78901, 3, S::RefundInitiated, "upi", -14)
        },
        "Chiffon Dupatta",
        Some("pink"),
        None,
    );
    push(
        Shape {
            delivered: Some(at(d(-20), 12, 0)),
            courier: courier("Ekart", "EK1122334455IN"),
            refund: true,
            updated: at(d(-6), 10, 0),
            ..shape(89012, 0, S::RefundCompleted, "card", -25)
        },
        "20W USB-C Fast Charger",
        Some("white"),
        None,
    );
    push(
        Shape {
            delivered: Some(at(d(-1), 17, 30)),
            courier: courier("Shadowfax", "SF3344556677IN"),
            updated: at(d(-1), 17, 30),
            ..shape(11223, 1, S::Delivered, "upi", -6)
        },
        "Lehenga Choli",
        Some("maroon"),
        Some("M"),
    );
    push(
        Shape {
            expected: Some(d(-1)),
            courier: courier("Xpressbees", "XB1029384756IN"),
            updated: at(d(-4), 20, 10),
            ..shape(33445, 0, S::Shipped, "card", -7)
        },
        "Redmi Note 13 5G",
        Some("black"),
        Some("128GB"),
    );
    out
}

/// Whether two five-digit numbers differ in at most one digit. Same-length
/// strings are within edit distance 1 exactly when they differ in at most one
/// position (an insertion plus a deletion costs 2).
fn within_one_digit(a: u32, b: u32) -> bool {
    let (a, b) = (a.to_string(), b.to_string());
    a.len() == b.len() && a.bytes().zip(b.bytes()).filter(|(x, y)| x != y).count() <= 1
}

/// Picks a status with the shop's rough mix: mostly delivered, every state often.
fn pick_status(rng: &mut SplitMix64) -> OrderStatus {
    const WEIGHTS: [(OrderStatus, u64); 9] = [
        (OrderStatus::Placed, 9),
        (OrderStatus::Packed, 8),
        (OrderStatus::Shipped, 13),
        (OrderStatus::OutForDelivery, 7),
        (OrderStatus::Delivered, 32),
        (OrderStatus::Cancelled, 10),
        (OrderStatus::Returned, 7),
        (OrderStatus::RefundInitiated, 6),
        (OrderStatus::RefundCompleted, 8),
    ];
    let mut roll = rng.below(WEIGHTS.iter().map(|w| w.1).sum());
    for (status, weight) in WEIGHTS {
        if roll < weight {
            return status;
        }
        roll -= weight;
    }
    OrderStatus::Delivered
}

fn orders(
    rng: &mut SplitMix64,
    today: NaiveDate,
    customers: &[Customer],
    products: &[Product],
) -> Vec<Order> {
    let mut out = fixed_orders(today, customers, products);
    let mut used: HashSet<u32> = FIXED_ORDER_NUMBERS.into_iter().collect();
    let d = |n| plus(today, n);
    while out.len() < FIXED_ORDER_NUMBERS.len() + GENERATED_ORDERS {
        let number = u32::try_from(rng.range(10_000, 99_999)).unwrap_or(10_000);
        if used.contains(&number)
            || FIXED_ORDER_NUMBERS
                .iter()
                .any(|&f| within_one_digit(f, number))
        {
            continue;
        }
        used.insert(number);
        // Customers 1-4 keep only their fixed orders.
        let customer = 4 + rng.index(customers.len().saturating_sub(4));
        let status = pick_status(rng);
        let payment = PAYMENT_METHODS[rng.index(PAYMENT_METHODS.len())];
        let (courier_name, prefix) = COURIERS[rng.index(COURIERS.len())];
        let tracking = format!("{prefix}{:010}IN", rng.below(10_000_000_000));
        let hour = u32::try_from(rng.range(7, 22)).unwrap_or(12);
        let minute = u32::try_from(rng.range(0, 59)).unwrap_or(0);
        let placed_days = match status {
            OrderStatus::Placed => -rng.range(0, 1),
            OrderStatus::Packed => -rng.range(1, 2),
            OrderStatus::Shipped => -rng.range(2, 5),
            OrderStatus::OutForDelivery => -rng.range(3, 6),
            OrderStatus::Cancelled => -rng.range(3, 90),
            _ => -rng.range(8, 150),
        };
        let placed = moment(today, placed_days, hour, minute);
        let delivered_days = placed_days + rng.range(2, 6);
        let mut shape = Shape {
            number,
            customer,
            status,
            payment,
            placed,
            expected: None,
            delivered: None,
            courier: None,
            refund: false,
            updated: placed,
        };
        match status {
            OrderStatus::Placed => shape.expected = Some(d(rng.range(4, 7))),
            OrderStatus::Packed => {
                shape.expected = Some(d(rng.range(2, 5)));
                shape.updated = moment(today, placed_days + 1, 9, minute);
            }
            OrderStatus::Shipped => {
                shape.expected = Some(d(rng.range(1, 4)));
                shape.courier = Some((courier_name, tracking));
                shape.updated = moment(today, placed_days + 1, 18, minute);
            }
            OrderStatus::OutForDelivery => {
                shape.expected = Some(today);
                shape.courier = Some((courier_name, tracking));
                shape.updated = moment(today, 0, 0, minute).max(placed);
            }
            OrderStatus::Delivered => {
                shape.courier = Some((courier_name, tracking));
                shape.delivered = Some(at(d(delivered_days), 11 + hour % 8, minute));
                shape.updated = shape.delivered.unwrap_or(placed);
            }
            OrderStatus::Cancelled => {
                // Prepaid cancellations are refunded in full; COD had nothing to refund.
                shape.refund = payment != "cod";
                shape.updated = moment(today, placed_days + 1, hour, minute);
            }
            OrderStatus::Returned | OrderStatus::RefundInitiated | OrderStatus::RefundCompleted => {
                shape.courier = Some((courier_name, tracking));
                shape.delivered = Some(at(d(delivered_days), 11 + hour % 8, minute));
                shape.refund = status != OrderStatus::Returned;
                shape.updated = moment(today, delivered_days + rng.range(2, 7), 10, minute);
            }
        }
        let lines = 1 + rng.below(100).saturating_sub(55) / 20; // 1 to 3 lines, mostly 1
        let mut items: Vec<OrderItem> = Vec::new();
        for _ in 0..lines {
            let product = &products[rng.index(products.len())];
            let variant = &product.variants[rng.index(product.variants.len())];
            let quantity = if rng.chance(15) { 2 } else { 1 };
            if items.iter().all(|i| i.variant_id != variant.id) {
                items.push(item(product, variant, quantity));
            }
        }
        out.push(build(shape, items, customers));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 6, 15).unwrap()
    }

    #[test]
    fn splitmix64_matches_the_reference_stream() {
        // First outputs for seed 1234567 from the reference C implementation.
        let mut rng = SplitMix64::new(1234567);
        assert_eq!(rng.next_u64(), 6457827717110365317);
        assert_eq!(rng.next_u64(), 3203168211198807973);
    }

    #[test]
    fn shop_is_deterministic() {
        assert_eq!(shop(today()), shop(today()));
    }

    #[test]
    fn fingerprint_is_stable() {
        // Changing the catalogue, the seed or the draw order changes these;
        // that breaks the agent's labelled set, so it must be deliberate.
        let shop = shop(today());
        assert_eq!(
            (shop.products.len(), shop.customers.len(), shop.orders.len()),
            (70, 126, 320)
        );
        let variants: usize = shop.products.iter().map(|p| p.variants.len()).sum();
        let stock: u32 = shop.products.iter().map(Product::total_stock).sum();
        let revenue: i64 = shop.orders.iter().map(|o| o.total_paise).sum();
        assert_eq!((variants, stock, revenue), (266, 4336, 116_635_600));
        assert_eq!(shop.customers[10].name, "Pooja Agarwal");
        assert_eq!(shop.orders[100].id.as_str(), "ORD-95797");
        assert_eq!(
            shop.orders[100].tracking_number.as_deref(),
            Some("DT0161631145IN")
        );
    }

    #[test]
    fn customers_are_unique_and_indian() {
        let shop = shop(today());
        let mut phones = HashSet::new();
        for c in &shop.customers {
            let p = c.phone.as_str();
            assert!(p.len() == 13 && p.starts_with("+91"), "{}", c.id);
            assert!(matches!(p.as_bytes()[3], b'6'..=b'9'), "{}", c.id);
            assert!(phones.insert(p.to_owned()), "duplicate phone for {}", c.id);
            let pin = c.address.rsplit(' ').next().unwrap();
            assert!(
                pin.len() == 6 && pin.bytes().all(|b| b.is_ascii_digit()),
                "{}",
                c.address
            );
        }
        assert_eq!(shop.customers[0].name, "Priya Sharma");
        assert_eq!(shop.customers[0].phone.as_str(), "+919812345678");
        assert_eq!(shop.customers[3].name, "Mohammed Arif");
        let cities: HashSet<&str> = shop.customers.iter().map(|c| c.city.as_str()).collect();
        assert!(cities.len() >= 12, "{cities:?}");
    }

    #[test]
    fn orders_are_consistent() {
        let today = today();
        let end_of_today = at(today, 23, 59);
        let shop = shop(today);
        let mut numbers = HashSet::new();
        for (i, o) in shop.orders.iter().enumerate() {
            let n = o.id.number().unwrap();
            assert!((10_000..=99_999).contains(&n), "{}", o.id);
            assert!(numbers.insert(n), "duplicate {}", o.id);
            if i >= FIXED_ORDER_NUMBERS.len() {
                assert!(
                    FIXED_ORDER_NUMBERS.iter().all(|&f| !within_one_digit(f, n)),
                    "{}",
                    o.id
                );
                assert!(o.customer_id > 4, "{} belongs to a fixed customer", o.id);
            }
            let sum: i64 = o
                .items
                .iter()
                .map(|i| i.unit_price_paise * i64::from(i.quantity))
                .sum();
            assert_eq!(o.total_paise, sum, "{}", o.id);
            assert!(!o.items.is_empty());
            assert!(
                o.placed_at <= o.updated_at && o.updated_at < end_of_today,
                "{}",
                o.id
            );
            if let Some(d) = o.delivered_at {
                assert!(o.placed_at < d && d <= o.updated_at, "{}", o.id);
            }
        }
        for status in OrderStatus::ALL {
            let n = shop.orders.iter().filter(|o| o.status == status).count();
            assert!(n >= 8, "{status:?} only {n} times");
        }
    }

    #[test]
    fn within_one_digit_is_hamming_distance() {
        assert!(within_one_digit(45678, 45679));
        assert!(within_one_digit(45678, 45678));
        assert!(!within_one_digit(45678, 45697));
    }

    #[test]
    fn fixed_lines_resolve_to_real_variants() {
        let shop = shop(today());
        for order in &shop.orders[..FIXED_ORDER_NUMBERS.len()] {
            for item in &order.items {
                assert!(item.variant_id > 0, "{} names a missing variant", order.id);
                assert!(item.unit_price_paise > 0);
            }
        }
    }
}

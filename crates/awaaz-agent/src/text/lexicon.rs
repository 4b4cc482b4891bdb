//! The lexicon: romanisation variants folded to one canonical spelling, whole
//! Devanagari words with their canonical form, and the phonetic key.

use std::collections::HashMap;
use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;

use super::script::romanize_devanagari;

/// Canonical spelling → the variants callers and recognisers write. A
/// canonical form may hold a space (`haanji` → `haan ji`): it becomes two
/// tokens.
const VARIANTS: &[(&str, &[&str])] = &[
    // Pronouns and function words.
    ("mera", &["meraa", "mra"]),
    ("meri", &["merii", "mri"]),
    ("mere", &["merey", "mre"]),
    ("mujhe", &["mujhey", "mujhay", "muje", "mjhe", "mujhee"]),
    ("mujhko", &["mujhkoo", "mujko"]),
    ("aap", &["ap", "aapp"]),
    ("aapka", &["apka", "aapkaa"]),
    ("aapko", &["apko"]),
    ("hum", &["ham"]),
    ("hamara", &["humara", "hamaara", "hamaraa"]),
    (
        "kahan",
        &["kaha", "kahaan", "kahaa", "kahaaan", "kaahan", "kahaan"],
    ),
    (
        "nahi",
        &[
            "nahin", "nai", "nahee", "nhi", "nahii", "nahiin", "nahiii", "nhin", "nehi", "nahy",
            "naheen", "nahien",
        ],
    ),
    ("kab", &["kub", "kabb"]),
    ("kya", &["kyaa", "kyaaa", "kyya"]),
    (
        "kyun",
        &["kyon", "kyu", "kyo", "kiyon", "kyoon", "kiyun", "kyoun"],
    ),
    ("kaise", &["kese", "kaisey", "kaisay", "kaese"]),
    ("kaun", &["kon", "kaun", "kaon"]),
    ("kitna", &["kitnaa"]),
    ("kitne", &["kitney", "kitnay"]),
    ("kitni", &["kitnee"]),
    ("hai", &["hay", "hae", "haii", "haai"]),
    ("hain", &["hein", "haiin"]),
    ("ho", &["hoo"]),
    ("tha", &["thaa"]),
    ("thi", &["thee", "thii"]),
    (
        "haan",
        &["han", "haa", "haaan", "haan", "ha", "hanh", "haanh", "hn"],
    ),
    ("haan ji", &["haanji", "hanji", "haanjee", "hanjee"]),
    ("ji haan", &["jihaan", "jihan", "jeehaan"]),
    ("ji", &["jee", "jii"]),
    (
        "achha",
        &[
            "acha", "accha", "achchha", "achcha", "acchha", "achaa", "achhaa", "acchaa", "achchhaa",
        ],
    ),
    (
        "okay",
        &["ok", "okk", "okey", "okie", "okayy", "oky", "okey", "okya"],
    ),
    (
        "theek",
        &[
            "thik", "tik", "thheek", "theekh", "thek", "teek", "thick", "thiik", "theeq",
        ],
    ),
    ("theek hai", &["theekhai", "thikhai", "thikh"]),
    ("abhi", &["abi", "abhee", "abhii", "abhie"]),
    ("abhi tak", &["abhitak"]),
    ("kab tak", &["kabtak"]),
    ("tak", &["tk", "takk"]),
    ("raha", &["rha", "rahaa"]),
    ("rahi", &["rhi", "rahee"]),
    ("rahe", &["rhe", "rahey"]),
    ("gaya", &["gya", "gayaa", "gaye"]),
    ("gayi", &["gyi", "gai", "gayee", "gayii", "gayi", "gaii"]),
    ("hua", &["huaa", "huwa", "hoa", "huva"]),
    ("hui", &["huyi", "huee", "huii"]),
    ("kiya", &["kia", "kiyaa"]),
    ("kiye", &["kiyee", "kie"]),
    ("karo", &["kro", "kardo", "krdo"]),
    ("karna", &["krna", "karnaa"]),
    ("karni", &["krni"]),
    ("karne", &["krne"]),
    ("kar", &["kr"]),
    ("karke", &["krke", "karkay"]),
    (
        "karein",
        &[
            "kare", "karen", "kariye", "kijiye", "kijie", "keejiye", "kijiyee", "karie",
            "kariyega", "kijiyega",
        ],
    ),
    (
        "batao",
        &[
            "btao",
            "bataao",
            "bataiye",
            "bataye",
            "batayiye",
            "bataie",
            "batado",
            "bata",
            "batana",
            "bataiyega",
            "batayein",
            "bataen",
            "bataain",
        ],
    ),
    (
        "aayega",
        &[
            "ayega", "aaega", "aega", "aayegaa", "aaygea", "aayga", "ayga", "aaeyga", "aaiga",
            "ayegaa", "aayegaaa", "aajayega", "ajayega", "aajaega",
        ],
    ),
    ("aayegi", &["ayegi", "aaegi", "aegi", "aaygi", "aajayegi"]),
    ("aayenge", &["ayenge", "aaenge", "aaynge", "aenge"]),
    ("aaya", &["aya", "aayaa", "aaiya", "aaye"]),
    ("aayi", &["ayi", "aai", "aayee", "aaee", "aaii"]),
    ("milega", &["milegaa", "milenga", "milyga"]),
    ("milegi", &["milengi"]),
    ("milenge", &["milengay"]),
    ("mila", &["milaa"]),
    ("mili", &["milii"]),
    (
        "pahuncha",
        &[
            "pahucha",
            "pahunchaa",
            "pohcha",
            "pohncha",
            "pahunch",
            "pahuncha",
            "pahucha",
        ],
    ),
    (
        "pahunchega",
        &[
            "pohchega",
            "pahuchega",
            "pohnchega",
            "pahunchegaa",
            "pahunchegi",
            "pohchegi",
        ],
    ),
    (
        "paisa",
        &[
            "paise", "paisaa", "pesa", "paisay", "pese", "paiso", "paison", "paisey", "paesa",
            "paese", "pyse", "pyasa",
        ],
    ),
    (
        "rupaye",
        &[
            "rupay", "rupees", "rupee", "rupaiya", "rupya", "rupiya", "rs", "inr", "rupe",
        ],
    ),
    (
        "chahiye",
        &[
            "chaiye", "chahie", "chahiya", "chaahiye", "chaahie", "chahiyee", "chahye", "chaie",
            "chaheye", "chahiyeh", "chahiyay",
        ],
    ),
    (
        "bhaiya",
        &[
            "bhai",
            "bhaiyya",
            "bhaiyaa",
            "bhayya",
            "bhaisaab",
            "bhaisahab",
            "bhaiyaji",
            "bhaijaan",
        ],
    ),
    (
        "wapas",
        &[
            "vapas", "waapas", "vaapas", "wapis", "vapis", "waapis", "vaapis", "wapass",
        ],
    ),
    (
        "kharab",
        &["khraab", "kharaab", "khrab", "karab", "kharabb"],
    ),
    (
        "toota",
        &[
            "tuta", "tootaa", "toot", "tutaa", "tuuta", "tootta", "tuttaa", "tutta",
        ],
    ),
    ("tooti", &["tuti", "tooti", "tutti"]),
    ("toote", &["tute", "tootey"]),
    ("phata", &["fata", "phataa", "fataa"]),
    ("phati", &["fati", "phatee"]),
    (
        "galat",
        &["galt", "ghalat", "gallat", "glt", "galath", "galaat"],
    ),
    ("gayab", &["gaayab", "ghayab", "ghaayab", "gayaab"]),
    (
        "shukriya",
        &[
            "sukriya",
            "shukriyaa",
            "shukria",
            "sukria",
            "shukriyah",
            "shukriyaah",
        ],
    ),
    (
        "dhanyavaad",
        &[
            "dhanyawad",
            "dhanyavad",
            "dhanyabad",
            "dhanywad",
            "dhanyvad",
            "dhanyawaad",
            "dhanywaad",
            "dhanyabaad",
        ],
    ),
    (
        "namaste",
        &["namastey", "namastay", "namste", "namasthe", "namastee"],
    ),
    ("namaskar", &["namaskaar", "namaskaram"]),
    ("alvida", &["alwida", "alvidaa", "alveda"]),
    (
        "dobara",
        &["dobaara", "dubara", "dubaara", "dobaraa", "dubaraa"],
    ),
    ("phir", &["fir", "pher", "phirr"]),
    ("phir se", &["phirse", "firse"]),
    (
        "samajh",
        &[
            "samaj", "samjh", "samajh", "samjha", "samjhi", "samjhe", "samaja",
        ],
    ),
    ("baat", &["baath", "baatt"]),
    ("insaan", &["insan", "insaani", "insaano"]),
    ("sahi", &["sahee", "sahii", "shai", "sahhi"]),
    ("bilkul", &["bilkull", "bilkool", "bilkuul"]),
    (
        "bahut",
        &[
            "bohot", "bahot", "bhut", "bohat", "bahuth", "bohut", "bhot", "bht",
        ],
    ),
    ("gussa", &["ghussa", "gusa", "gussaa"]),
    ("bakwas", &["bakwaas", "bakvas", "bakvaas", "bakwass"]),
    ("bekaar", &["bekar", "bekaaar", "bekaar"]),
    ("ghatiya", &["ghatia", "ghatiyaa", "gatiya"]),
    ("jaldi", &["jldi", "jaldee"]),
    ("kuch", &["kuchh", "kooch", "kch", "kuchch"]),
    ("koi", &["koee", "koii"]),
    ("din", &["dinn"]),
    ("baar", &["baarr"]),
    ("ye", &["yeh", "yah"]),
    ("wo", &["woh", "vo", "voh", "vah", "wah"]),
    ("mein", &["mei", "mey"]),
    ("radd", &["rad", "raddh"]),
    (
        "badal",
        &[
            "badalna",
            "badlna",
            "badalni",
            "badalne",
            "badlo",
            "badalo",
            "badli",
            "badla",
            "badlni",
            "badlne",
            "badaldo",
            "badalwana",
            "badalwa",
            "badlwa",
            "badlwana",
            "badaliye",
            "badliye",
        ],
    ),
    (
        "bhej",
        &[
            "bhejo",
            "bhejna",
            "bhejdo",
            "bhejiye",
            "bhejein",
            "bhijwa",
            "bhejdijiye",
            "bhejde",
            "bhejde",
            "bhejen",
            "bhejne",
            "bheja",
            "bheji",
            "bheje",
        ],
    ),
    (
        "lautana",
        &[
            "lautaana", "lotana", "lautao", "lauta", "lautaya", "lautayi", "lautani", "lautane",
            "lotaya", "lautaana",
        ],
    ),
    ("parson", &["parso", "parsoon", "parsun", "parsho"]),
    ("kal", &["kall", "kaal"]),
    ("aaj", &["aj", "aajj"]),
    ("pata", &["pataa", "patta"]),
    (
        "shikayat",
        &["shikaayat", "sikayat", "shikayet", "shikaayt"],
    ),
    (
        "saamaan",
        &["saman", "samaan", "saamaan", "saaman", "samaan"],
    ),
    ("cheez", &["chiz", "cheej", "chij"]),
    ("dikhao", &["dikhaao", "dikhaiye", "dikha", "dikhana"]),
    ("dena", &["dedo", "dijiye", "dijie", "deejiye", "dein"]),
    (
        "wala",
        &["waala", "vala", "vaala", "wali", "waali", "wale", "waale"],
    ),
    ("salaam", &["salam", "salaaam", "slaam"]),
    (
        "assalam",
        &["assalamu", "asalam", "assalaam", "asalaam", "salamu"],
    ),
    ("alaikum", &["alaikam", "alykum", "alaykum", "walaikum"]),
    (
        "hello",
        &[
            "helo", "hallo", "hullo", "helloo", "hellow", "halo", "hellooo",
        ],
    ),
    ("bye", &["bbye", "byee", "byebye", "bubye", "byeee"]),
    (
        "thanks",
        &[
            "thanx", "thnx", "thnks", "thx", "thankss", "thanku", "thankyou", "tq", "thanq", "thnq",
        ],
    ),
    ("where is", &["wheres", "whereis"]),
    ("what is", &["whats", "whatis"]),
    (
        "please",
        &["plz", "pls", "pleez", "plis", "pleaseee", "plij"],
    ),
    // English loanwords as Hindi speakers and recognisers spell them.
    (
        "order",
        &[
            "ordar", "odar", "aurder", "ordr", "oder", "aardar", "ardar", "aurdar", "orders",
            "odr", "ordera",
        ],
    ),
    (
        "parcel",
        &[
            "parsal", "paarsal", "parsel", "parcell", "paarsel", "parsl", "pasal",
        ],
    ),
    (
        "delivery",
        &[
            "delivary",
            "dilivery",
            "delivry",
            "dilevery",
            "delevery",
            "dileevri",
            "dilivari",
            "dilevari",
            "delivari",
            "dileevari",
        ],
    ),
    ("deliver", &["dilivar", "delivar", "delever", "delivered"]),
    (
        "refund",
        &[
            "rifund", "refand", "rifand", "riphand", "riphund", "refunds", "rephand", "refundd",
        ],
    ),
    (
        "cancel",
        &[
            "cancle",
            "kancel",
            "kensal",
            "kainsal",
            "cancil",
            "cansel",
            "kensel",
            "kainsil",
            "cancelled",
            "canceled",
            "cancell",
            "kencel",
            "kaimsal",
        ],
    ),
    ("cancellation", &["cancelation", "kainselation"]),
    (
        "status",
        &["stetus", "stetas", "staatus", "stats", "sttus", "istatus"],
    ),
    (
        "return",
        &["ritarn", "retarn", "riturn", "returns", "ritern", "retun"],
    ),
    (
        "address",
        &[
            "adress", "addres", "edres", "adres", "aidres", "aidress", "edress", "addresss",
            "adrees", "edresh", "edras", "adras",
        ],
    ),
    (
        "complaint",
        &[
            "complain",
            "complent",
            "complane",
            "kamplen",
            "complaints",
            "kampleint",
            "complen",
        ],
    ),
    ("exchange", &["exchenge", "exchang", "eksachenj", "excheng"]),
    (
        "available",
        &[
            "avelable",
            "avilable",
            "avlbl",
            "availble",
            "aveilable",
            "availabe",
            "avalable",
            "uvailable",
            "evailable",
            "avelebal",
        ],
    ),
    ("stock", &["stok", "istock", "istok", "stockk"]),
    (
        "medium",
        &[
            "midium",
            "meedium",
            "meediyam",
            "mediam",
            "midiam",
            "mediyam",
            "meedeeyam",
            "midiyam",
            "medum",
        ],
    ),
    ("large", &["larj", "laarj", "larg", "laarge", "lardge"]),
    ("small", &["smol", "smaal", "ismall", "smaal", "smal"]),
    (
        "size",
        &[
            "saiz", "saaij", "saij", "sizee", "saaiz", "saaij", "sizes", "saize",
        ],
    ),
    (
        "colour",
        &[
            "color", "kalar", "colur", "colours", "colors", "kalr", "kalaar",
        ],
    ),
    (
        "message",
        &[
            "sandesh", "sandes", "msg", "mesej", "maisej", "mesage", "messege", "massage", "maseg",
            "msj",
        ],
    ),
    ("customer", &["kastamar", "costumer", "custmer"]),
    ("manager", &["menejar", "mainejar", "maneger", "menejer"]),
    ("human", &["hyuman", "humen"]),
    ("agent", &["ejent", "ejant", "agant", "aijent"]),
    ("phone", &["fon", "phon", "fone", "phonee"]),
    ("mobile", &["mobail", "mobaail", "mobil"]),
    (
        "number",
        &["nambar", "numbar", "nmbr", "numbr", "numer", "nambr"],
    ),
    ("track", &["trak", "traik", "trek"]),
    ("tracking", &["traking", "treking"]),
    (
        "damaged",
        &["damage", "demaged", "dammage", "damej", "demej"],
    ),
    ("broken", &["brokan", "brocken"]),
    ("wrong", &["rong", "wrang"]),
    ("missing", &["mising", "missin"]),
    ("late", &["leit", "lait", "lete"]),
    ("delay", &["deley", "dilay", "dilei", "delayed"]),
    ("product", &["prodakt", "prodect", "products"]),
    ("repeat", &["ripeat", "ripeet", "repit"]),
    ("sorry", &["sori", "sorri", "sory"]),
    ("kurta", &["kurtaa", "kurtha"]),
    (
        "saree",
        &["sari", "saari", "sadi", "saadi", "saaree", "sarees"],
    ),
    (
        "lehenga",
        &["lahanga", "lehnga", "lehanga", "lahenga", "lehanga"],
    ),
    ("dupatta", &["dupata", "duppatta", "dupptta"]),
    ("chadar", &["chaadar", "chadder", "chaddar"]),
    // Sizes in Hindi words.
    ("madhyam", &["madhyum", "madhyama", "madhiyam", "madhyamm"]),
    ("chhota", &["chota", "chhotaa", "chotaa"]),
    ("chhote", &["chote", "chhotey"]),
    ("chhoti", &["choti", "chhotee"]),
    ("bada", &["badaa", "barra", "bara"]),
    ("bade", &["badey"]),
    ("naap", &["naapa", "naaap"]),
    ("litre", &["leetar", "litar", "leeter", "ltr", "liter"]),
    (
        "jaankari",
        &["jankari", "jaankaari", "jankaari", "jaankaari"],
    ),
    ("pickup", &["pikup", "pickap", "pikap"]),
    ("pincode", &["pinkod", "pincod", "pinkode"]),
    ("recharge", &["richarj", "recharj", "richaarj", "rechaarj"]),
    ("hafta", &["hafth", "haftaa"]),
    ("dibbe", &["dibbey"]),
];

/// Whole Devanagari words whose romanisation cannot be read off their letters
/// (English loanwords mostly), with their canonical form.
const DEVANAGARI_WORDS: &[(&str, &str)] = &[
    ("ऑर्डर", "order"),
    ("आर्डर", "order"),
    ("ओर्डर", "order"),
    ("आडर", "order"),
    ("पार्सल", "parcel"),
    ("पारसल", "parcel"),
    ("डिलीवरी", "delivery"),
    ("डिलिवरी", "delivery"),
    ("डिलेवरी", "delivery"),
    ("डिलीवर", "deliver"),
    ("रिफंड", "refund"),
    ("रिफ़ंड", "refund"),
    ("कैंसल", "cancel"),
    ("कैंसिल", "cancel"),
    ("कैन्सल", "cancel"),
    ("स्टेटस", "status"),
    ("ट्रैक", "track"),
    ("ट्रैकिंग", "tracking"),
    ("रिटर्न", "return"),
    ("एड्रेस", "address"),
    ("ऐड्रेस", "address"),
    ("अड्रेस", "address"),
    ("कंप्लेंट", "complaint"),
    ("कम्प्लेंट", "complaint"),
    ("शिकायत", "shikayat"),
    ("एक्सचेंज", "exchange"),
    ("उपलब्ध", "available"),
    ("अवेलेबल", "available"),
    ("स्टॉक", "stock"),
    ("स्टाक", "stock"),
    ("मीडियम", "medium"),
    ("मिडियम", "medium"),
    ("लार्ज", "large"),
    ("स्मॉल", "small"),
    ("साइज़", "size"),
    ("साइज", "size"),
    ("कलर", "colour"),
    ("मैसेज", "message"),
    ("मेसेज", "message"),
    ("एसएमएस", "sms"),
    ("कस्टमर", "customer"),
    ("केयर", "care"),
    ("मैनेजर", "manager"),
    ("एजेंट", "agent"),
    ("फ़ोन", "phone"),
    ("फोन", "phone"),
    ("मोबाइल", "mobile"),
    ("नंबर", "number"),
    ("नम्बर", "number"),
    ("लेट", "late"),
    ("डैमेज", "damaged"),
    ("प्रोडक्ट", "product"),
    ("प्लीज़", "please"),
    ("प्लीज", "please"),
    ("थैंक्स", "thanks"),
    ("थैंक", "thank"),
    ("यू", "you"),
    ("हेलो", "hello"),
    ("हैलो", "hello"),
    ("बाय", "bye"),
    ("ओके", "okay"),
    ("सॉरी", "sorry"),
    ("ब्लू", "blue"),
    ("रेड", "red"),
    ("ब्लैक", "black"),
    ("व्हाइट", "white"),
    ("ग्रीन", "green"),
    ("पिंक", "pink"),
    ("येलो", "yellow"),
    ("मरून", "maroon"),
    ("मध्यम", "madhyam"),
    ("आ", "aa"),
    ("लौटाना", "lautana"),
    ("लौटाया", "lautana"),
    ("लौटा", "lautana"),
    ("देरी", "deri"),
    ("छोटा", "chhota"),
    ("छोटे", "chhote"),
    ("छोटी", "chhoti"),
    ("बड़ा", "bada"),
    ("बड़े", "bade"),
    ("नाप", "naap"),
    ("लीटर", "litre"),
    ("लिटर", "litre"),
    ("संदेश", "message"),
    ("डिटेल्स", "details"),
    ("डिटेल", "details"),
    ("जानकारी", "jaankari"),
    ("लिंक", "link"),
    ("रिचार्ज", "recharge"),
    ("मौसम", "mausam"),
    ("टिकट", "ticket"),
    ("ट्रेन", "train"),
    ("बुक", "book"),
    ("पिकअप", "pickup"),
    ("ऑफिस", "office"),
    ("ऑफ़िस", "office"),
    ("पिनकोड", "pincode"),
    ("हाल", "haal"),
    ("हफ्ता", "hafta"),
    ("हफ़्ता", "hafta"),
    ("डिब्बे", "dibbe"),
    ("डिब्बा", "dibba"),
    ("मंगाया", "mangaya"),
    ("मंगवाया", "mangwaya"),
    ("वनप्लस", "oneplus"),
    ("नॉर्ड", "nord"),
    ("रेडमी", "redmi"),
    ("सैमसंग", "samsung"),
    ("कर्टन", "curtain"),
    ("कुर्ता", "kurta"),
    ("कुर्ती", "kurti"),
    ("साड़ी", "saree"),
    ("साडी", "saree"),
    ("लहंगा", "lehenga"),
    ("दुपट्टा", "dupatta"),
    ("चादर", "chadar"),
    ("कुकर", "cooker"),
    ("प्रेशर", "pressure"),
    ("मिक्सर", "mixer"),
    ("मिक्सी", "mixie"),
    ("चार्जर", "charger"),
    ("ईयरबड्स", "earbuds"),
    ("ईयरफोन", "earphone"),
    ("हां", "haan"),
    ("हाँ", "haan"),
    ("हम्म", "hmm"),
    ("जी", "ji"),
    ("नहीं", "nahi"),
    ("नही", "nahi"),
    ("कहाँ", "kahan"),
    ("कहां", "kahan"),
    ("आएगा", "aayega"),
    ("आयेगा", "aayega"),
    ("पहला", "pehla"),
    ("पहली", "pehli"),
    ("दूसरा", "doosra"),
    ("दूसरी", "doosri"),
    ("तीसरा", "teesra"),
    ("तीसरी", "teesri"),
    ("चौथा", "chautha"),
    ("परसों", "parson"),
    ("वापस", "wapas"),
    ("पैसे", "paisa"),
    ("पैसा", "paisa"),
    ("चाहिए", "chahiye"),
    ("चाहिये", "chahiye"),
    ("ठीक", "theek"),
    ("अच्छा", "achha"),
    ("धन्यवाद", "dhanyavaad"),
    ("शुक्रिया", "shukriya"),
    ("नमस्ते", "namaste"),
    ("नमस्कार", "namaskar"),
    ("दोबारा", "dobara"),
    ("फिर", "phir"),
    ("इंसान", "insaan"),
    ("बात", "baat"),
    ("टूटा", "toota"),
    ("टूटी", "tooti"),
    ("टूटे", "toote"),
    ("फटा", "phata"),
    ("फटी", "phati"),
    ("ख़राब", "kharab"),
    ("खराब", "kharab"),
    ("ग़लत", "galat"),
    ("गलत", "galat"),
    ("ग़ायब", "gayab"),
    ("गायब", "gayab"),
    ("रद्द", "radd"),
    ("बदलना", "badal"),
    ("बदलो", "badal"),
    ("बदल", "badal"),
    ("बदलवाना", "badal"),
    ("भेजो", "bhej"),
    ("भेज", "bhej"),
    ("भेजिए", "bhej"),
    ("भेजें", "bhej"),
    ("बताओ", "batao"),
    ("बताइए", "batao"),
    ("बताइये", "batao"),
    ("बताएं", "batao"),
    ("कीजिए", "karein"),
    ("कीजिये", "karein"),
    ("करें", "karein"),
    ("करो", "karo"),
    ("पता", "pata"),
    ("सामान", "saamaan"),
    ("नीला", "neela"),
    ("नीली", "neeli"),
    ("लाल", "laal"),
    ("हरा", "hara"),
    ("हरी", "hari"),
    ("काला", "kaala"),
    ("काली", "kaali"),
    ("सफ़ेद", "safed"),
    ("सफेद", "safed"),
    ("पीला", "peela"),
    ("पीली", "peeli"),
    ("गुलाबी", "gulabi"),
    ("मैरून", "maroon"),
    ("भाई", "bhaiya"),
    ("भैया", "bhaiya"),
    ("गुस्सा", "gussa"),
    ("बकवास", "bakwas"),
    ("बेकार", "bekaar"),
    ("घटिया", "ghatiya"),
    ("अलविदा", "alvida"),
    ("मैं", "main"),
    ("है", "hai"),
    ("हैं", "hain"),
    ("था", "tha"),
    ("थी", "thi"),
];

fn nfc(s: &str) -> String {
    s.nfc().collect()
}

struct Tables {
    /// Romanised variant → canonical (possibly two words).
    fold: HashMap<String, &'static str>,
    /// Devanagari word (NFC) → canonical.
    devanagari: HashMap<String, &'static str>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut fold = HashMap::new();
        for (canon, variants) in VARIANTS {
            for v in *variants {
                // A later, more specific table entry must not be overwritten
                // by an earlier one, so the first mapping wins.
                fold.entry((*v).to_owned()).or_insert(*canon);
            }
        }
        let mut devanagari = HashMap::new();
        for (d, canon) in DEVANAGARI_WORDS {
            let d = nfc(d);
            // The letter-by-letter reading of a listed word folds too, so a
            // spelling variant of it written in Latin by a recogniser matches.
            let roman = romanize_devanagari(&d);
            if roman != *canon {
                fold.entry(roman).or_insert(*canon);
            }
            devanagari.insert(d, *canon);
        }
        // Canonical forms map to themselves; never fold one canonical word
        // into another.
        for (canon, _) in VARIANTS {
            if !canon.contains(' ') {
                fold.remove(*canon);
            }
        }
        Tables { fold, devanagari }
    })
}

/// The canonical spelling of one romanised, lower-case word (`kahaan` →
/// `kahan`, `nahin` → `nahi`); the word itself when it has no variant entry.
/// The result may be two words (`haanji` → `haan ji`).
pub fn canonical(word: &str) -> &str {
    match tables().fold.get(word) {
        Some(c) => c,
        None => word,
    }
}

/// The canonical form of a whole Devanagari word, if the lexicon knows it.
pub(crate) fn devanagari_word(word: &str) -> Option<&'static str> {
    tables().devanagari.get(word).copied()
}

/// A Hinglish-aware phonetic key for fuzzy matching: two spellings of the
/// same spoken word get the same key (`kurtha`/`kurta`, `sari`/`saree`,
/// `cooker`/`kukar`, `ayega`/`aaega`).
///
/// It drops aspiration (`kh`→`k`, `th`→`t`), vowel length (`aa`/`ee`/`oo`),
/// doubled letters, word-final nasals after `i`/`e` and final `h` after a
/// vowel, and merges `c`/`k`/`q`, `v`/`w`, `z`/`j`, `ph`/`f`, `sh`/`s`,
/// `ai`/`ay`/`e`. `ch` stays distinct from `k` (`chaar` is not `kaar`).
pub fn phonetic_key(word: &str) -> String {
    let s: Vec<u8> = word
        .bytes()
        .filter(u8::is_ascii_alphanumeric)
        .map(|b| b.to_ascii_lowercase())
        .collect();
    // Pass 1: consonant digraphs and letter merges. 'C' marks the `ch` sound.
    let mut a: Vec<u8> = Vec::with_capacity(s.len() + 2);
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        let n1 = s.get(i + 1).copied();
        let n2 = s.get(i + 2).copied();
        match (c, n1) {
            (b'c', Some(b'h')) => {
                a.push(b'C');
                i += if n2 == Some(b'h') { 3 } else { 2 };
                continue;
            }
            (b'c', Some(b'c')) if n2 == Some(b'h') => {
                // `cch` / `cchh` as in `accha`
                a.push(b'C');
                i += if s.get(i + 3) == Some(&b'h') { 4 } else { 3 };
                continue;
            }
            (b's', Some(b'h')) => {
                a.push(b's');
                i += 2;
                continue;
            }
            (b'p', Some(b'h')) => {
                a.push(b'f');
                i += 2;
                continue;
            }
            (b'k' | b'g' | b't' | b'd' | b'b' | b'j' | b'r', Some(b'h')) => {
                a.push(c);
                i += 2;
                continue;
            }
            _ => {}
        }
        match c {
            b'c' | b'q' => a.push(b'k'),
            b'x' => a.extend_from_slice(b"ks"),
            b'z' => a.push(b'j'),
            b'w' => a.push(b'v'),
            _ => a.push(c),
        }
        i += 1;
    }
    // Doubled consonants first, so `bhaiyya` and `bhaiya` meet in pass 2
    // (doubled vowels carry length, which pass 2 reads).
    a.dedup_by(|x, y| x == y && !matches!(*x, b'a' | b'e' | b'i' | b'o' | b'u'));
    // Pass 2: vowels.
    let is_vowel = |b: u8| matches!(b, b'a' | b'e' | b'i' | b'o' | b'u');
    let mut b: Vec<u8> = Vec::with_capacity(a.len());
    let mut i = 0;
    while i < a.len() {
        let c = a[i];
        let n1 = a.get(i + 1).copied();
        match (c, n1) {
            (b'e', Some(b'e')) | (b'i', Some(b'i')) => {
                b.push(b'i');
                i += 2;
            }
            (b'o', Some(b'o')) | (b'u', Some(b'u')) => {
                b.push(b'u');
                i += 2;
            }
            (b'a', Some(b'i' | b'y')) | (b'e', Some(b'i' | b'y'))
                if !a.get(i + 2).is_some_and(|&x| is_vowel(x)) =>
            {
                b.push(b'e');
                i += 2;
            }
            (b'a', Some(b'u')) | (b'o', Some(b'u')) => {
                b.push(b'o');
                i += 2;
            }
            (b'y', _) if i > 0 && is_vowel(a[i - 1]) && n1.is_some_and(is_vowel) => {
                // `aayega` and `aaega` are the same word.
                i += 1;
            }
            _ => {
                b.push(c);
                i += 1;
            }
        }
    }
    // Pass 3: drop doubled letters.
    b.dedup();
    // An unstressed final `er` is said `ar` (`cooker`/`kukar`, `order`/`ordar`).
    if b.len() >= 4 && b.ends_with(b"er") {
        let n = b.len();
        b[n - 2] = b'a';
    }
    // Word-final softening, only on longer words (short ones need every letter).
    if b.len() >= 4 {
        if b.last() == Some(&b'h') && b.len() >= 2 && is_vowel(b[b.len() - 2]) {
            b.pop();
        }
        if b.last() == Some(&b'n') && b.len() >= 2 && matches!(b[b.len() - 2], b'i' | b'e') {
            b.pop();
        }
    }
    String::from_utf8(b).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_variants_to_one_spelling() {
        for v in ["kahan", "kaha", "kahaan", "kahaa"] {
            assert_eq!(canonical(v), "kahan", "{v}");
        }
        for v in ["nahi", "nahin", "nai", "nahee"] {
            assert_eq!(canonical(v), "nahi", "{v}");
        }
        for v in ["aayega", "ayega", "aaega", "aega"] {
            assert_eq!(canonical(v), "aayega", "{v}");
        }
        for v in ["chahiye", "chaiye", "chahie"] {
            assert_eq!(canonical(v), "chahiye", "{v}");
        }
        assert_eq!(canonical("kub"), "kab");
        assert_eq!(canonical("paise"), "paisa");
        assert_eq!(canonical("bhai"), "bhaiya");
        assert_eq!(canonical("thik"), "theek");
        assert_eq!(canonical("tik"), "theek");
        assert_eq!(canonical("hanji"), "haan ji");
        assert_eq!(canonical("unknownword"), "unknownword");
    }

    #[test]
    fn phonetic_key_merges_spellings() {
        let same = [
            ("kurtha", "kurta"),
            ("sari", "saree"),
            ("aayega", "aaega"),
            ("dhanyavaad", "dhanyawad"),
            ("shukriya", "sukriya"),
            ("nahin", "nahi"),
            ("bhaiya", "bhaiyya"),
            ("theek", "thik"),
            ("cooker", "kookar"),
            ("zaroor", "jarur"),
            ("phone", "fone"),
            ("accha", "achha"),
        ];
        for (x, y) in same {
            assert_eq!(phonetic_key(x), phonetic_key(y), "{x} vs {y}");
        }
        assert_ne!(phonetic_key("chaar"), phonetic_key("kaar"));
        assert_ne!(phonetic_key("kab"), phonetic_key("kal"));
    }

    #[test]
    fn devanagari_lookup_is_nfc() {
        assert_eq!(devanagari_word(&nfc("ऑर्डर")), Some("order"));
        assert_eq!(devanagari_word(&nfc("ज़्यादा")), None);
    }
}

"""What customers write, per language and matter, for the dedup corpus (``generate.py``).

Placeholders: {ref} booking reference, {date} departure, {flight} sailing/flight number,
{amount} a sum, {trip} the route, {phone} the customer's phone, {what} the matter in a word.
Several phrasings per matter: a customer who writes again rarely repeats the same words.
"""

from __future__ import annotations

LANGUAGES = ("en", "tr", "fa", "lt")
KINDS = ("refund", "date_change", "cancellation", "baggage", "invoice", "assistance")
REQUEST_TYPE = {
    "refund": "refund",
    "date_change": "change",
    "cancellation": "cancellation",
    "baggage": "other",
    "invoice": "other",
    "assistance": "other",
    "crisis": "cancellation",
}

TRIPS = {
    "en": ["Dover–Calais", "Helsinki–Tallinn", "Kiel–Klaipėda", "Istanbul–Izmir"],
    "tr": ["İstanbul–İzmir", "Çeşme–Sakız", "Bodrum–İstanköy", "Kiel–Klaipėda"],
    "fa": ["بندرعباس–قشم", "بوشهر–کیش", "استانبول–ازمیر", "کیل–کلایپدا"],
    "lt": ["Klaipėda–Kylis", "Klaipėda–Karlshamnas", "Helsinkis–Talinas", "Kylis–Klaipėda"],
}

REQUESTS: dict[str, dict[str, list[tuple[str, str]]]] = {
    "en": {
        "refund": [
            (
                "Refund for booking {ref}",
                "Hello, my sailing {flight} on {date} was cancelled and I would like a refund "
                "of {amount} EUR to my card. Booking {ref}.",
            ),
            (
                "Money back please",
                "I cancelled my trip {trip} on {date} within the free period but the refund of "
                "{amount} EUR has not arrived yet.",
            ),
            (
                "Refund request",
                "Could you refund my ticket? The {flight} departure on {date} no longer works "
                "for us and the website does not let me cancel it.",
            ),
        ],
        "date_change": [
            (
                "Change my travel date",
                "I need to move my booking {ref} from {date} to a week later, same route "
                "{trip}. Is that possible and what does it cost?",
            ),
            (
                "Date change {ref}",
                "Can I change the date of {flight}? We would like to travel two days later "
                "than {date}.",
            ),
            (
                "Rebooking",
                "Please rebook us on a later departure, our plans changed. Original date {date}, "
                "{trip}.",
            ),
        ],
        "cancellation": [
            (
                "Cancel booking {ref}",
                "Please cancel my booking {ref} for {date}. We cannot travel anymore because of "
                "illness.",
            ),
            ("Cancellation", "I want to cancel the trip {trip} on {date}. What fees apply?"),
            (
                "Please cancel",
                "We have to cancel {flight} on {date}, my father is in hospital.",
            ),
        ],
        "baggage": [
            (
                "Lost luggage",
                "My suitcase did not arrive after {flight} on {date}. It is a blue hard case "
                "with a red ribbon. Claim number {amount}.",
            ),
            (
                "Damaged bag",
                "My bag was damaged on the {trip} crossing on {date}; the handle is broken and a "
                "wheel is missing.",
            ),
            (
                "Where is my bag",
                "I travelled on {date} ({flight}) and still have no luggage. Who can help?",
            ),
        ],
        "invoice": [
            (
                "Invoice needed",
                "I need an invoice with my company name for booking {ref}, total {amount} EUR, "
                "for my employer.",
            ),
            (
                "Receipt for {ref}",
                "Could you send a receipt for the trip on {date}? I paid {amount} EUR by card.",
            ),
            (
                "VAT invoice",
                "Please issue a VAT invoice for the {trip} tickets. Company: Baltic Logistics.",
            ),
        ],
        "assistance": [
            (
                "Wheelchair assistance",
                "My mother uses a wheelchair. Can we get assistance at boarding for {flight} on "
                "{date}?",
            ),
            (
                "Travelling with a dog",
                "Can I bring my small dog on {trip} on {date}? Do I need a pet cabin?",
            ),
            (
                "Special meal",
                "I have a severe nut allergy. Can you arrange a safe meal on {flight}?",
            ),
        ],
        "crisis": [
            (
                "Aurora sailing cancelled",
                "My sailing on MS Aurora on {date} was cancelled because of the fire. What "
                "happens to my booking? Do I get a refund or a new date?",
            ),
            (
                "Aurora fire - my booking",
                "I heard about the fire on the Aurora. I am booked on {date}. Is my trip "
                "cancelled? What should I do?",
            ),
            ("Aurora", "Our trip on the Aurora is cancelled. We want our money back."),
        ],
    },
    "tr": {
        "refund": [
            (
                "{ref} numaralı rezervasyon için iade",
                "Merhaba, {date} tarihli {flight} seferim iptal edildi, {amount} EUR "
                "tutarındaki ücretin kartıma iadesini istiyorum.",
            ),
            (
                "Paramı geri istiyorum",
                "{date} tarihli {trip} yolculuğumu ücretsiz iptal süresinde iptal ettim ama "
                "{amount} EUR iadem hâlâ yatmadı.",
            ),
            (
                "İade talebi",
                "Biletimi iade edebilir misiniz? {date} tarihli {flight} seferi artık bize "
                "uymuyor, sitede iptal edemiyorum.",
            ),
        ],
        "date_change": [
            (
                "Seyahat tarihimi değiştirmek istiyorum",
                "{ref} rezervasyonumu {date} tarihinden bir hafta sonraya almam gerekiyor, aynı "
                "güzergâh {trip}. Mümkün mü, ücreti nedir?",
            ),
            (
                "Tarih değişikliği {ref}",
                "{flight} seferinin tarihini değiştirebilir miyim? {date} yerine iki gün sonra "
                "gitmek istiyoruz.",
            ),
            (
                "Yeniden rezervasyon",
                "Planlarımız değişti, bizi daha sonraki bir sefere alır mısınız? İlk tarih {date}, "
                "{trip}.",
            ),
        ],
        "cancellation": [
            (
                "{ref} rezervasyonunu iptal edin",
                "Lütfen {date} tarihli {ref} rezervasyonumu iptal edin. Hastalık nedeniyle "
                "seyahat edemiyoruz.",
            ),
            ("İptal", "{date} tarihli {trip} yolculuğunu iptal etmek istiyorum. Kesinti var mı?"),
            (
                "Lütfen iptal",
                "{date} tarihli {flight} seferini iptal etmek zorundayız, babam hastanede.",
            ),
        ],
        "baggage": [
            (
                "Kayıp bagaj",
                "{date} tarihli {flight} seferinden sonra valizim gelmedi. Kırmızı kurdeleli "
                "mavi sert bir valiz. Başvuru numarası {amount}.",
            ),
            (
                "Hasarlı valiz",
                "{date} tarihli {trip} geçişinde çantam hasar gördü; sapı kırık, bir tekerleği "
                "yok.",
            ),
            (
                "Bagajım nerede",
                "{date} tarihinde {flight} ile seyahat ettim ve bagajım hâlâ yok. Kim yardımcı "
                "olabilir?",
            ),
        ],
        "invoice": [
            (
                "Fatura gerekiyor",
                "{ref} rezervasyonu için şirket adıma fatura gerekiyor, toplam {amount} EUR.",
            ),
            (
                "{ref} için makbuz",
                "{date} tarihli yolculuk için makbuz gönderebilir misiniz? {amount} EUR kartla "
                "ödedim.",
            ),
            (
                "KDV faturası",
                "{trip} biletleri için KDV faturası düzenler misiniz? Şirket: Ege Lojistik A.Ş.",
            ),
        ],
        "assistance": [
            (
                "Tekerlekli sandalye yardımı",
                "Annem tekerlekli sandalye kullanıyor. {date} tarihli {flight} seferinde "
                "binişte yardım alabilir miyiz?",
            ),
            (
                "Köpekle seyahat",
                "{date} tarihli {trip} seferine küçük köpeğimi getirebilir miyim? Evcil hayvan "
                "kabini gerekir mi?",
            ),
            ("Özel yemek", "Ciddi fıstık alerjim var. {flight} seferinde güvenli yemek olur mu?"),
        ],
        "crisis": [
            (
                "Aurora seferi iptal",
                "{date} tarihli MS Aurora seferim yangın yüzünden iptal edildi. Rezervasyonuma "
                "ne olacak? İade mi alırım, yeni tarih mi?",
            ),
            (
                "Aurora yangını - rezervasyonum",
                "Aurora'daki yangını duydum. {date} tarihine biletim var. Yolculuğum iptal mi? "
                "Ne yapmalıyım?",
            ),
            ("Aurora", "Aurora yolculuğumuz iptal oldu. Paramızı geri istiyoruz."),
        ],
    },
    "fa": {
        "refund": [
            (
                "استرداد وجه رزرو {ref}",
                "سلام، سفر دریایی {flight} من در تاریخ {date} لغو شد و می‌خواهم مبلغ {amount} "
                "یورو به کارتم برگردانده شود.",
            ),
            (
                "لطفا پولم را برگردانید",
                "سفر {trip} در تاریخ {date} را در مهلت رایگان لغو کردم ولی مبلغ {amount} یورو "
                "هنوز واریز نشده است.",
            ),
            (
                "درخواست استرداد",
                "آیا می‌توانید بلیت مرا پس بگیرید؟ حرکت {flight} در تاریخ {date} دیگر برای ما "
                "مناسب نیست و سایت اجازه لغو نمی‌دهد.",
            ),
        ],
        "date_change": [
            (
                "تغییر تاریخ سفر",
                "باید رزرو {ref} را از {date} یک هفته عقب بیندازم، همان مسیر {trip}. امکان "
                "دارد و هزینه‌اش چقدر است؟",
            ),
            (
                "تغییر تاریخ {ref}",
                "آیا می‌توانم تاریخ {flight} را عوض کنم؟ می‌خواهیم دو روز بعد از {date} سفر کنیم.",
            ),
            (
                "رزرو مجدد",
                "برنامه ما عوض شد، لطفا ما را روی حرکت بعدی بگذارید. تاریخ اصلی {date}، {trip}.",
            ),
        ],
        "cancellation": [
            (
                "لغو رزرو {ref}",
                "لطفا رزرو {ref} برای تاریخ {date} را لغو کنید. به دلیل بیماری نمی‌توانیم سفر کنیم.",
            ),
            ("لغو سفر", "می‌خواهم سفر {trip} در تاریخ {date} را لغو کنم. جریمه دارد؟"),
            ("لطفا لغو کنید", "باید {flight} در تاریخ {date} را لغو کنیم، پدرم در بیمارستان است."),
        ],
        "baggage": [
            (
                "چمدان گم شده",
                "چمدانم بعد از {flight} در تاریخ {date} نرسید. یک چمدان سخت آبی با روبان قرمز. "
                "شماره پرونده {amount}.",
            ),
            (
                "چمدان آسیب دیده",
                "چمدانم در سفر {trip} در تاریخ {date} آسیب دید؛ دسته‌اش شکسته و یک چرخش افتاده.",
            ),
            (
                "چمدانم کجاست",
                "در تاریخ {date} با {flight} سفر کردم و هنوز چمدانم را ندارم. چه کسی کمک می‌کند؟",
            ),
        ],
        "invoice": [
            (
                "فاکتور لازم دارم",
                "برای رزرو {ref} به نام شرکتم فاکتور لازم دارم، مبلغ کل {amount} یورو.",
            ),
            (
                "رسید برای {ref}",
                "لطفا برای سفر {date} رسید بفرستید. {amount} یورو با کارت پرداخت کردم.",
            ),
            ("فاکتور مالیاتی", "لطفا برای بلیت‌های {trip} فاکتور رسمی صادر کنید. شرکت: پارس ترابر."),
        ],
        "assistance": [
            (
                "کمک برای ویلچر",
                "مادرم با ویلچر حرکت می‌کند. آیا برای سوار شدن به {flight} در تاریخ {date} کمک "
                "می‌گیریم؟",
            ),
            (
                "سفر با سگ",
                "آیا می‌توانم سگ کوچکم را در سفر {trip} در تاریخ {date} بیاورم؟ کابین مخصوص "
                "حیوانات لازم است؟",
            ),
            ("غذای ویژه", "به بادام زمینی حساسیت شدید دارم. در {flight} غذای بی‌خطر دارید؟"),
        ],
        "crisis": [
            (
                "لغو سفر آرورا",
                "سفر من با کشتی آرورا در تاریخ {date} به خاطر آتش‌سوزی لغو شد. رزروم چه می‌شود؟ "
                "پول را پس می‌دهید یا تاریخ جدید؟",
            ),
            (
                "آتش‌سوزی آرورا - رزرو من",
                "خبر آتش‌سوزی آرورا را شنیدم. برای تاریخ {date} بلیت دارم. سفرم لغو است؟ چه "
                "کار کنم؟",
            ),
            ("آرورا", "سفر ما با آرورا لغو شد. پولمان را می‌خواهیم."),
        ],
    },
    "lt": {
        "refund": [
            (
                "Pinigų grąžinimas už rezervaciją {ref}",
                "Laba diena, mano reisas {flight} {date} buvo atšauktas, prašau grąžinti "
                "{amount} EUR į mano kortelę.",
            ),
            (
                "Prašau grąžinti pinigus",
                "Atšaukiau kelionę {trip} {date} per nemokamą laikotarpį, bet {amount} EUR vis "
                "dar negrąžinti.",
            ),
            (
                "Prašymas grąžinti pinigus",
                "Ar galite grąžinti pinigus už bilietą? Išvykimas {flight} {date} mums nebetinka, "
                "o svetainėje atšaukti negaliu.",
            ),
        ],
        "date_change": [
            (
                "Kelionės datos keitimas",
                "Turiu perkelti rezervaciją {ref} iš {date} savaite vėliau, tas pats maršrutas "
                "{trip}. Ar įmanoma ir kiek kainuoja?",
            ),
            (
                "Datos keitimas {ref}",
                "Ar galiu pakeisti reiso {flight} datą? Norėtume keliauti dviem dienomis vėliau "
                "nei {date}.",
            ),
            (
                "Perrezervavimas",
                "Pasikeitė planai, prašau perkelti mus į vėlesnį reisą. Pradinė data {date}, "
                "{trip}.",
            ),
        ],
        "cancellation": [
            (
                "Atšaukti rezervaciją {ref}",
                "Prašau atšaukti mano rezervaciją {ref} {date}. Dėl ligos nebegalime keliauti.",
            ),
            ("Atšaukimas", "Noriu atšaukti kelionę {trip} {date}. Kokie mokesčiai taikomi?"),
            ("Prašau atšaukti", "Turime atšaukti reisą {flight} {date}, tėtis ligoninėje."),
        ],
        "baggage": [
            (
                "Dingęs bagažas",
                "Po reiso {flight} {date} neatvyko mano lagaminas. Mėlynas kietas lagaminas su "
                "raudonu kaspinu. Pretenzijos numeris {amount}.",
            ),
            (
                "Sugadintas krepšys",
                "Kelionėje {trip} {date} buvo sugadintas mano krepšys: nulūžusi rankena, "
                "trūksta ratuko.",
            ),
            (
                "Kur mano bagažas",
                "Keliavau {date} reisu {flight} ir vis dar neturiu bagažo. Kas gali padėti?",
            ),
        ],
        "invoice": [
            (
                "Reikia sąskaitos faktūros",
                "Rezervacijai {ref} reikia sąskaitos faktūros įmonės vardu, suma {amount} EUR.",
            ),
            (
                "Kvitas už {ref}",
                "Ar galite atsiųsti kvitą už kelionę {date}? Mokėjau {amount} EUR kortele.",
            ),
            (
                "PVM sąskaita faktūra",
                "Prašau išrašyti PVM sąskaitą faktūrą už {trip} bilietus. Įmonė: Baltic "
                "Logistics UAB.",
            ),
        ],
        "assistance": [
            (
                "Pagalba vežimėlio naudotojui",
                "Mama naudojasi neįgaliojo vežimėliu. Ar galime gauti pagalbą įlaipinant į "
                "reisą {flight} {date}?",
            ),
            (
                "Kelionė su šunimi",
                "Ar galiu pasiimti mažą šunį į kelionę {trip} {date}? Ar reikia kajutės su "
                "gyvūnais?",
            ),
            (
                "Specialus maitinimas",
                "Turiu stiprią alergiją riešutams. Ar reise {flight} galite paruošti saugų maistą?",
            ),
        ],
        "crisis": [
            (
                "Aurora reisas atšauktas",
                "Mano reisas laivu MS Aurora {date} atšauktas dėl gaisro. Kas bus su mano "
                "rezervacija? Grąžinsite pinigus ar duosite naują datą?",
            ),
            (
                "Gaisras Auroroje - mano rezervacija",
                "Girdėjau apie gaisrą Auroroje. Turiu bilietą {date}. Ar kelionė atšaukta? Ką "
                "daryti?",
            ),
            ("Aurora", "Mūsų kelionė Aurora atšaukta. Norime atgauti pinigus."),
        ],
    },
}

# The matter in a word, for chasers ("any news about my refund?").
WHAT = {
    "en": {
        "refund": "refund",
        "date_change": "date change",
        "cancellation": "cancellation",
        "baggage": "luggage",
        "invoice": "invoice",
        "assistance": "assistance request",
        "crisis": "booking on the Aurora",
    },
    "tr": {
        "refund": "iade",
        "date_change": "tarih değişikliği",
        "cancellation": "iptal",
        "baggage": "bagaj",
        "invoice": "fatura",
        "assistance": "yardım talebi",
        "crisis": "Aurora rezervasyonu",
    },
    "fa": {
        "refund": "استرداد",
        "date_change": "تغییر تاریخ",
        "cancellation": "لغو",
        "baggage": "چمدان",
        "invoice": "فاکتور",
        "assistance": "درخواست کمک",
        "crisis": "رزرو آرورا",
    },
    "lt": {
        "refund": "pinigų grąžinimas",
        "date_change": "datos keitimas",
        "cancellation": "atšaukimas",
        "baggage": "bagažas",
        "invoice": "sąskaita",
        "assistance": "pagalbos prašymas",
        "crisis": "Aurora rezervacija",
    },
}

# A customer chasing an earlier contact ("any news?"), often on another channel.
CHASERS = {
    "en": [
        "Any news about my {what}?",
        "I wrote to you three days ago and still have no answer.",
        "Hello?? Is anyone reading this? Still waiting for my {what}.",
        "Second time writing: nobody has replied about my {what}.",
        "What is happening with my {what}? No reply yet.",
        "Following up on my earlier message about the {what}, booking {ref}.",
    ],
    "tr": [
        "{what} konusunda haber var mı?",
        "Üç gün önce yazdım, hâlâ cevap yok.",
        "Merhaba?? Okuyan var mı? {what} için hâlâ bekliyorum.",
        "İkinci kez yazıyorum, {what} hakkında kimse dönmedi.",
        "{what} ne oldu? Henüz yanıt gelmedi.",
        "{ref} rezervasyonu, {what} hakkındaki önceki mesajımı takip ediyorum.",
    ],
    "fa": [
        "از {what} من خبری نشد؟",
        "سه روز پیش نوشتم و هنوز پاسخی نگرفتم.",
        "سلام؟؟ کسی پیام‌ها را می‌خواند؟ هنوز منتظر {what} هستم.",
        "بار دوم است که می‌نویسم، کسی درباره {what} جواب نداد.",
        "{what} من چه شد؟ هنوز جوابی نیامده.",
        "پیگیری پیام قبلی درباره {what}، رزرو {ref}.",
    ],
    "lt": [
        "Ar yra naujienų dėl mano {what}?",
        "Rašiau prieš tris dienas ir vis dar negavau atsakymo.",
        "Labas?? Ar kas nors skaito? Vis dar laukiu: {what}.",
        "Rašau antrą kartą, niekas neatsakė dėl: {what}.",
        "Kas vyksta su mano prašymu ({what})? Atsakymo dar nėra.",
        "Primenu ankstesnę žinutę dėl: {what}, rezervacija {ref}.",
    ],
}

# New details for the same matter.
ADD_INFO = {
    "en": [
        "Here is my booking reference: {ref}. The departure was on {date}.",
        "I forgot to say: I paid {amount} EUR by card for {flight}.",
        "My phone number is {phone} if you want to call me about the {what}.",
        "For the {what}: it was {flight} on {date}, booking {ref}.",
    ],
    "tr": [
        "Rezervasyon numaram: {ref}. Kalkış {date} tarihindeydi.",
        "Söylemeyi unuttum: {flight} için {amount} EUR kartla ödedim.",
        "{what} için aramak isterseniz telefonum {phone}.",
        "{what} konusu: {date} tarihli {flight}, rezervasyon {ref}.",
    ],
    "fa": [
        "شماره رزرو من: {ref}. حرکت در تاریخ {date} بود.",
        "یادم رفت بگویم: برای {flight} مبلغ {amount} یورو با کارت پرداخت کردم.",
        "اگر خواستید درباره {what} تماس بگیرید شماره من {phone} است.",
        "درباره {what}: {flight} در تاریخ {date}، رزرو {ref}.",
    ],
    "lt": [
        "Mano rezervacijos numeris: {ref}. Išvykimas buvo {date}.",
        "Pamiršau parašyti: už {flight} sumokėjau {amount} EUR kortele.",
        "Jei norite paskambinti dėl: {what}, mano telefonas {phone}.",
        "Dėl: {what} — reisas {flight} {date}, rezervacija {ref}.",
    ],
}

# After an agent solved it: "thanks, but…" (the same matter, not solved after all).
THANKS_BUT = {
    "en": [
        "Thanks for your answer, but the {what} has still not arrived.",
        "Thank you, but this did not solve it. My {what} is still open, booking {ref}.",
    ],
    "tr": [
        "Cevabınız için teşekkürler ama {what} hâlâ gerçekleşmedi.",
        "Teşekkürler ama sorun çözülmedi, {what} hâlâ açık, rezervasyon {ref}.",
    ],
    "fa": [
        "ممنون از پاسخ، ولی {what} هنوز انجام نشده.",
        "متشکرم ولی مشکل حل نشد، {what} من هنوز باز است، رزرو {ref}.",
    ],
    "lt": [
        "Ačiū už atsakymą, bet {what} vis dar neįvyko.",
        "Ačiū, bet problema neišspręsta: {what} vis dar neatlikta, rezervacija {ref}.",
    ],
}

# A short note above a forwarded copy of the customer's own earlier mail.
FORWARD_NOTE = {
    "en": ["Forwarding my message again, nobody answered!", "See below. Please reply."],
    "tr": ["Mesajımı tekrar iletiyorum, kimse cevap vermedi!", "Aşağıya bakın. Lütfen yanıtlayın."],
    "fa": ["پیامم را دوباره می‌فرستم، کسی جواب نداد!", "پایین را ببینید. لطفا پاسخ دهید."],
    "lt": ["Persiunčiu savo žinutę dar kartą, niekas neatsakė!", "Žr. žemiau. Prašau atsakyti."],
}
FORWARD_HEADER = {
    "en": ("---------- Forwarded message ---------", "From", "Date", "Subject", "To"),
    "tr": ("---------- İletilen mesaj ---------", "Kimden", "Tarih", "Konu", "Kime"),
    "fa": ("---------- پیام ارسال‌شده ---------", "از", "تاریخ", "موضوع", "به"),
    "lt": ("---------- Persiųstas laiškas ---------", "Nuo", "Data", "Tema", "Kam"),
}
QUOTE_HEADER = {
    "en": "On {day}, {name} <{email}> wrote:",
    "tr": "{day} tarihinde {name} <{email}> şunu yazdı:",
    "fa": "در {day}، {name} <{email}> نوشت:",
    "lt": "{day}, {name} <{email}> rašė:",
}

# Names per language, most frequent first: ``generate.py`` draws them with Zipf-like weights
# (a few names such as "Mehmet Yılmaz" recur, as in a real customer base; most full names are
# rare). Lithuanian first names are (male, female); a woman's surname takes the feminine form
# (``lt_feminine``: Kazlauskas → Kazlauskienė).
NAMES = {
    "en": (
        [
            "Oliver",
            "Emma",
            "George",
            "Amelia",
            "Harry",
            "Olivia",
            "Jack",
            "Isla",
            "Noah",
            "Ava",
            "Charlie",
            "Mia",
            "Jacob",
            "Sophia",
            "Thomas",
            "Grace",
            "Oscar",
            "Lily",
            "William",
            "Freya",
            "James",
            "Emily",
            "Henry",
            "Ella",
            "Leo",
            "Chloe",
            "Alfie",
            "Evie",
            "Joshua",
            "Ruby",
        ],
        [
            "Smith",
            "Jones",
            "Taylor",
            "Brown",
            "Williams",
            "Wilson",
            "Johnson",
            "Davies",
            "Robinson",
            "Wright",
            "Thompson",
            "Evans",
            "Walker",
            "White",
            "Roberts",
            "Green",
            "Hall",
            "Wood",
            "Jackson",
            "Clarke",
            "Patel",
            "Khan",
            "Lewis",
            "James",
            "Phillips",
            "Mason",
            "Mitchell",
            "Rose",
            "Davis",
            "Rodriguez",
            "Cox",
            "Alexander",
            "Morris",
            "King",
            "Lee",
            "Harris",
            "Scott",
            "Turner",
            "Hill",
            "Moore",
        ],
    ),
    "tr": (
        [
            "Mehmet",
            "Ayşe",
            "Mustafa",
            "Fatma",
            "Ahmet",
            "Emine",
            "Ali",
            "Hatice",
            "Hüseyin",
            "Zeynep",
            "Hasan",
            "Elif",
            "İbrahim",
            "Meryem",
            "Emre",
            "Büşra",
            "Can",
            "Özlem",
            "Murat",
            "Esra",
            "Ömer",
            "Merve",
            "Burak",
            "Selin",
            "Serkan",
            "Derya",
            "Kemal",
            "Gül",
            "Yusuf",
            "Ebru",
        ],
        [
            "Yılmaz",
            "Kaya",
            "Demir",
            "Şahin",
            "Çelik",
            "Yıldız",
            "Yıldırım",
            "Öztürk",
            "Aydın",
            "Özdemir",
            "Arslan",
            "Doğan",
            "Kılıç",
            "Aslan",
            "Çetin",
            "Kara",
            "Koç",
            "Kurt",
            "Özkan",
            "Şimşek",
            "Polat",
            "Korkmaz",
            "Karataş",
            "Erdoğan",
            "Güneş",
            "Aktaş",
            "Bulut",
            "Keskin",
            "Ünal",
            "Tekin",
            "Acar",
            "Işık",
            "Bozkurt",
            "Güler",
            "Uçar",
            "Kaplan",
            "Turan",
            "Tunç",
            "Avcı",
            "Sarı",
        ],
    ),
    "fa": (
        [
            "محمد",
            "علی",
            "فاطمه",
            "زهرا",
            "حسین",
            "مریم",
            "رضا",
            "سارا",
            "امیر",
            "نرگس",
            "مهدی",
            "معصومه",
            "حسن",
            "لیلا",
            "مصطفی",
            "الهام",
            "جواد",
            "سمیرا",
            "حمید",
            "مهسا",
            "سعید",
            "نازنین",
            "بهرام",
            "شیرین",
            "کامران",
            "پریسا",
            "داوود",
            "فرزانه",
            "یوسف",
            "آزاده",
        ],
        [
            "محمدی",
            "حسینی",
            "احمدی",
            "رضایی",
            "کریمی",
            "موسوی",
            "جعفری",
            "رحیمی",
            "صادقی",
            "حیدری",
            "قاسمی",
            "اکبری",
            "هاشمی",
            "نوری",
            "کاظمی",
            "ابراهیمی",
            "مرادی",
            "سلطانی",
            "عباسی",
            "رستمی",
            "نجفی",
            "امیری",
            "زارعی",
            "باقری",
            "شریفی",
            "طاهری",
            "یوسفی",
            "نظری",
            "فرهادی",
            "صالحی",
            "کرمی",
            "شجاعی",
            "بهرامی",
            "مختاری",
            "سبحانی",
            "اسدی",
            "توکلی",
            "یزدانی",
            "میرزایی",
            "کامرانی",
        ],
    ),
    "lt": (
        [
            "Jonas",
            "Rūta",
            "Mantas",
            "Eglė",
            "Tomas",
            "Gabija",
            "Lukas",
            "Austėja",
            "Paulius",
            "Kristina",
            "Darius",
            "Jurgita",
            "Andrius",
            "Inga",
            "Tadas",
            "Laura",
            "Marius",
            "Agnė",
            "Mindaugas",
            "Ieva",
            "Vytautas",
            "Rasa",
            "Justas",
            "Greta",
            "Rokas",
            "Vaida",
            "Aurimas",
            "Simona",
            "Kęstutis",
            "Indrė",
        ],
        [
            "Kazlauskas",
            "Petrauskas",
            "Jankauskas",
            "Stankevičius",
            "Vasiliauskas",
            "Žukauskas",
            "Butkus",
            "Paulauskas",
            "Urbonas",
            "Kavaliauskas",
            "Navickas",
            "Ramanauskas",
            "Savickas",
            "Rimkus",
            "Baranauskas",
            "Sakalauskas",
            "Žilinskas",
            "Adomaitis",
            "Kairys",
            "Balčiūnas",
            "Mockus",
            "Jonaitis",
            "Lukošius",
            "Mažeika",
            "Šimkus",
            "Vaitkus",
            "Černiauskas",
            "Gudaitis",
            "Bernotas",
            "Kubilius",
            "Petraitis",
            "Sabonis",
            "Grigas",
            "Lapinskas",
            "Dambrauskas",
            "Norkus",
            "Stonkus",
            "Valaitis",
            "Vitkus",
            "Jurgaitis",
        ],
    ),
}
LT_FEMALE = frozenset(
    [
        "Rūta",
        "Eglė",
        "Gabija",
        "Austėja",
        "Kristina",
        "Jurgita",
        "Inga",
        "Laura",
        "Agnė",
        "Ieva",
        "Rasa",
        "Greta",
        "Vaida",
        "Simona",
        "Indrė",
    ]
)


def lt_feminine(surname: str) -> str:
    """A married woman's form of a Lithuanian surname: Kazlauskas → Kazlauskienė,
    Stankevičius → Stankevičienė, Butkus → Butkienė, Adomaitis → Adomaitienė."""
    for ending in ("ius", "as", "is", "us", "ys", "a"):
        if surname.endswith(ending):
            return surname[: -len(ending)] + "ienė"
    return surname


# Latin local parts for e-mail addresses of Persian names.
FA_LATIN = ["maryam", "ali", "zahra", "reza", "fatemeh", "mohammad", "sara", "hossein", "narges"]

"""What the demo's "ship fire" incident says, in English, Turkish, Persian and Lithuanian.

The ferry MS Aurora (Istanbul – Odessa) had a fire in its engine room; its sailings are
suspended. Passenger requests take ``{ref}`` (booking reference) and ``{date}`` (departure,
written the way a customer of that language writes it).
"""

from __future__ import annotations

SLUG = "aurora-fire"
SHIP = "MS Aurora"
ROUTE = "Istanbul – Odessa"
TRIP = "Istanbul – Odessa night ferry"
KEYWORDS = ["MS Aurora", "Aurora", "yangın", "آتش", "gaisras"]

INCIDENT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Fire aboard MS Aurora: sailings suspended",
        "summary": (
            "A fire broke out in the engine room of the ferry MS Aurora during the night "
            "crossing from Istanbul to Odessa. Everyone on board is safe and the ship has "
            "returned to Istanbul under escort. All MS Aurora sailings on the Istanbul – Odessa "
            "route are suspended until further notice."
        ),
        "what_to_do": (
            "If your booking is on MS Aurora, you do not need to do anything today: we are "
            "writing to every passenger by email with their options. If you travel within the "
            "next 3 days, send us a request with your booking reference and we will rebook you "
            "first."
        ),
        "policy": (
            "Every affected passenger can choose a full refund or free rebooking on another "
            "sailing or on a partner ferry, without any change fee. Hotel nights caused by the "
            "suspension are reimbursed on receipt."
        ),
        "guidance": "Contact us only if you travel within the next 3 days.",
    },
    "tr": {
        "title": "MS Aurora'da yangın: seferler durduruldu",
        "summary": (
            "MS Aurora feribotunun İstanbul'dan Odessa'ya gece seferi sırasında makine "
            "dairesinde yangın çıktı. Gemideki herkes güvende; gemi eskort eşliğinde İstanbul'a "
            "döndü. İstanbul – Odessa hattındaki tüm MS Aurora seferleri ikinci bir duyuruya "
            "kadar durduruldu."
        ),
        "what_to_do": (
            "Rezervasyonunuz MS Aurora'daysa bugün bir şey yapmanıza gerek yok: her yolcuya "
            "seçeneklerini e-postayla bildiriyoruz. Önümüzdeki 3 gün içinde seyahat ediyorsanız "
            "rezervasyon numaranızla bize bir talep gönderin; sizin yolculuğunuzu önce yeniden "
            "planlayacağız."
        ),
        "policy": (
            "Etkilenen her yolcu tam iade ya da başka bir sefere veya ortak feribota ücretsiz "
            "değişiklik seçebilir; değişiklik ücreti alınmaz. Seferlerin durması yüzünden "
            "oluşan otel masrafları fatura karşılığında ödenir."
        ),
        "guidance": "Yalnızca önümüzdeki 3 gün içinde seyahat ediyorsanız bize ulaşın.",
    },
    "fa": {
        "title": "آتش‌سوزی در کشتی MS Aurora: سفرها متوقف شد",
        "summary": (
            "در سفر شبانه‌ی کشتی MS Aurora از استانبول به اودسا، در موتورخانه آتش‌سوزی رخ داد. "
            "همه‌ی مسافران و خدمه سالم هستند و کشتی با همراهی به استانبول بازگشت. همه‌ی سفرهای "
            "MS Aurora در مسیر استانبول – اودسا تا اطلاع بعدی متوقف است."
        ),
        "what_to_do": (
            "اگر رزرو شما روی MS Aurora است، امروز لازم نیست کاری بکنید: گزینه‌های هر مسافر را "
            "با ایمیل برایش می‌فرستیم. اگر در ۳ روز آینده سفر دارید، با شماره‌ی رزرو خود "
            "درخواستی برای ما بفرستید تا سفر شما را زودتر از همه جابه‌جا کنیم."
        ),
        "policy": (
            "هر مسافر آسیب‌دیده می‌تواند بازپرداخت کامل یا تغییر رایگان به سفری دیگر یا کشتی "
            "شریک را انتخاب کند، بدون هزینه‌ی تغییر. هزینه‌ی هتل ناشی از توقف سفرها با ارائه‌ی "
            "رسید پرداخت می‌شود."
        ),
        "guidance": "فقط اگر در ۳ روز آینده سفر دارید با ما تماس بگیرید.",
    },
    "lt": {
        "title": "Gaisras kelte MS Aurora: reisai sustabdyti",
        "summary": (
            "Naktinio reiso iš Stambulo į Odesą metu kelto MS Aurora mašinų skyriuje kilo "
            "gaisras. Visi laive buvę žmonės saugūs, laivas lydimas grįžo į Stambulą. Visi "
            "MS Aurora reisai maršrutu Stambulas – Odesa sustabdyti iki atskiro pranešimo."
        ),
        "what_to_do": (
            "Jei jūsų rezervacija yra MS Aurora reisui, šiandien nieko daryti nereikia: "
            "kiekvienam keleiviui jo galimybes siunčiame el. paštu. Jei keliaujate per "
            "artimiausias 3 dienas, atsiųskite mums užklausą su rezervacijos numeriu – jūsų "
            "kelionę perplanuosime pirmiausia."
        ),
        "policy": (
            "Kiekvienas nukentėjęs keleivis gali rinktis visą pinigų grąžinimą arba nemokamą "
            "perkėlimą į kitą reisą ar partnerio keltą, be jokio keitimo mokesčio. Nakvynės "
            "viešbutyje dėl sustabdymo kompensuojamos pateikus sąskaitą."
        ),
        "guidance": "Susisiekite su mumis tik jei keliaujate per artimiausias 3 dienas.",
    },
}

# Three updates over the last day: (hours ago, text per language).
UPDATES: list[tuple[int, dict[str, str]]] = [
    (
        22,
        {
            "en": (
                "The fire is out. All 412 passengers and crew are safe; passengers spent the "
                "night in hotels in Istanbul at our expense."
            ),
            "tr": (
                "Yangın söndürüldü. 412 yolcu ve mürettebatın tamamı güvende; yolcular geceyi "
                "masrafları bize ait olmak üzere İstanbul'daki otellerde geçirdi."
            ),
            "fa": (
                "آتش خاموش شد. همه‌ی ۴۱۲ مسافر و خدمه سالم هستند؛ مسافران شب را با هزینه‌ی ما "
                "در هتل‌های استانبول گذراندند."
            ),
            "lt": (
                "Gaisras užgesintas. Visi 412 keleivių ir įgula saugūs; keleiviai nakvojo "
                "Stambulo viešbučiuose mūsų sąskaita."
            ),
        },
    ),
    (
        11,
        {
            "en": (
                "MS Aurora stays in Istanbul for inspection for at least ten days. Passengers "
                "travelling in the next 3 days are moved to the partner ferry Karadeniz Star; "
                "we are writing to each of them."
            ),
            "tr": (
                "MS Aurora en az on gün boyunca inceleme için İstanbul'da kalacak. Önümüzdeki 3 "
                "gün içinde seyahat eden yolcular ortak feribot Karadeniz Star'a aktarılıyor; "
                "her birine yazıyoruz."
            ),
            "fa": (
                "کشتی MS Aurora دست‌کم ده روز برای بازرسی در استانبول می‌ماند. مسافرانی که در "
                "۳ روز آینده سفر دارند به کشتی شریک Karadeniz Star منتقل می‌شوند؛ به هر کدام "
                "جداگانه نامه می‌نویسیم."
            ),
            "lt": (
                "MS Aurora bent dešimt dienų liks Stambule apžiūrai. Per artimiausias 3 dienas "
                "keliaujantys keleiviai perkeliami į partnerio keltą Karadeniz Star; rašome "
                "kiekvienam iš jų."
            ),
        },
    ),
    (
        2,
        {
            "en": (
                "Refunds have started: if you chose a refund, it reaches your card within 5 "
                "business days. No need to write to us about it."
            ),
            "tr": (
                "İadeler başladı: iadeyi seçtiyseniz tutar 5 iş günü içinde kartınıza geçer. "
                "Bunun için bize yazmanıza gerek yok."
            ),
            "fa": (
                "بازپرداخت‌ها آغاز شد: اگر بازپرداخت را انتخاب کرده‌اید، تا ۵ روز کاری به "
                "کارت شما می‌رسد. نیازی نیست در این باره به ما بنویسید."
            ),
            "lt": (
                "Pinigų grąžinimas pradėtas: jei pasirinkote grąžinimą, pinigai jūsų kortelę "
                "pasieks per 5 darbo dienas. Dėl to rašyti mums nereikia."
            ),
        },
    ),
]

# The broadcast sent to every passenger; placeholders of the broadcast templates.
BROADCAST_NAME = "MS Aurora: your booking and your options"
BROADCAST: dict[str, dict[str, str]] = {
    "en": {
        "subject": "MS Aurora: your booking {{ booking }} and your options",
        "body": (
            "Dear {{ name }},\n\n"
            "a fire in the engine room of MS Aurora has suspended its sailings. Everyone on "
            "board is safe. Your booking {{ booking }} (departure {{ departure }}) is affected.\n\n"
            "You can choose a full refund or free rebooking on another sailing, without any "
            "change fee. Reply to this message with your choice, or follow your booking here: "
            "{{ tracking_url }}\n\n"
            "Latest news, and the current wait for an answer: {{ crisis_url }}\n\n"
            "Please contact us only if you travel within the next 3 days."
        ),
    },
    "tr": {
        "subject": "MS Aurora: {{ booking }} numaralı rezervasyonunuz ve seçenekleriniz",
        "body": (
            "Sayın {{ name }},\n\n"
            "MS Aurora'nın makine dairesindeki yangın nedeniyle seferler durduruldu. Gemideki "
            "herkes güvende. {{ booking }} numaralı rezervasyonunuz (kalkış {{ departure }}) "
            "bundan etkileniyor.\n\n"
            "Tam iade ya da başka bir sefere ücretsiz değişiklik seçebilirsiniz; değişiklik "
            "ücreti alınmaz. Seçiminizi bu iletiyi yanıtlayarak bildirin ya da rezervasyonunuzu "
            "buradan izleyin: {{ tracking_url }}\n\n"
            "Son gelişmeler ve güncel bekleme süresi: {{ crisis_url }}\n\n"
            "Lütfen yalnızca önümüzdeki 3 gün içinde seyahat ediyorsanız bize ulaşın."
        ),
    },
    "fa": {
        "subject": "MS Aurora: رزرو {{ booking }} شما و گزینه‌هایتان",
        "body": (
            "{{ name }} گرامی،\n\n"
            "آتش‌سوزی در موتورخانه‌ی MS Aurora سفرهای این کشتی را متوقف کرده است. همه‌ی "
            "سرنشینان سالم هستند. رزرو {{ booking }} شما (حرکت {{ departure }}) تحت تأثیر است.\n\n"
            "می‌توانید بازپرداخت کامل یا تغییر رایگان به سفری دیگر را انتخاب کنید، بدون هزینه‌ی "
            "تغییر. انتخاب خود را در پاسخ همین پیام بنویسید یا رزرو خود را اینجا دنبال کنید: "
            "{{ tracking_url }}\n\n"
            "آخرین خبرها و زمان انتظار کنونی: {{ crisis_url }}\n\n"
            "لطفاً فقط اگر در ۳ روز آینده سفر دارید با ما تماس بگیرید."
        ),
    },
    "lt": {
        "subject": "MS Aurora: jūsų rezervacija {{ booking }} ir jūsų galimybės",
        "body": (
            "Gerb. {{ name }},\n\n"
            "dėl gaisro MS Aurora mašinų skyriuje šio kelto reisai sustabdyti. Visi laive buvę "
            "žmonės saugūs. Jūsų rezervacija {{ booking }} (išvykimas {{ departure }}) "
            "paveikta.\n\n"
            "Galite rinktis visą pinigų grąžinimą arba nemokamą perkėlimą į kitą reisą, be "
            "keitimo mokesčio. Atsakykite į šį laišką nurodydami savo pasirinkimą arba sekite "
            "savo rezervaciją čia: {{ tracking_url }}\n\n"
            "Naujienos ir dabartinis laukimo laikas: {{ crisis_url }}\n\n"
            "Susisiekite su mumis tik jei keliaujate per artimiausias 3 dienas."
        ),
    },
}

# What passengers write after the fire: (subject, body) per language.
REQUESTS: dict[str, list[tuple[str, str]]] = {
    "en": [
        (
            "MS Aurora fire: I travel on {date}",
            "My booking {ref} is on MS Aurora on {date}. Can you rebook me on the partner "
            "ferry? I have to be in Odessa that week.",
        ),
        (
            "Refund for booking {ref} (MS Aurora)",
            "After the fire on MS Aurora I would rather not travel. Please refund booking {ref} "
            "in full.",
        ),
        (
            "Is my sailing on {date} cancelled?",
            "I read about the fire aboard MS Aurora. Is my sailing on {date} (booking {ref}) "
            "cancelled too?",
        ),
    ],
    "tr": [
        (
            "MS Aurora yangını: {date} tarihinde yolculuğum var",
            "{ref} numaralı rezervasyonum {date} tarihli MS Aurora seferinde. Beni ortak "
            "feribota aktarabilir misiniz?",
        ),
        (
            "{ref} için iade (MS Aurora)",
            "MS Aurora'daki yangından sonra yolculuk yapmak istemiyorum. Lütfen {ref} numaralı "
            "rezervasyonun tamamını iade edin.",
        ),
    ],
    "fa": [
        (
            "آتش‌سوزی MS Aurora: سفر من {date} است",
            "رزرو {ref} من برای سفر {date} با کشتی MS Aurora است. آیا می‌توانید مرا به کشتی "
            "شریک منتقل کنید؟",
        ),
        (
            "بازپرداخت رزرو {ref}",
            "بعد از آتش‌سوزی MS Aurora ترجیح می‌دهم سفر نکنم. لطفاً مبلغ رزرو {ref} را کامل "
            "بازپرداخت کنید.",
        ),
    ],
    "lt": [
        (
            "MS Aurora gaisras: keliauju {date}",
            "Mano rezervacija {ref} yra MS Aurora reisui {date}. Ar galite mane perkelti į "
            "partnerio keltą?",
        ),
        (
            "Pinigų grąžinimas už {ref}",
            "Po gaisro MS Aurora kelte nebenoriu keliauti. Prašau grąžinti visus pinigus už "
            "rezervaciją {ref}.",
        ),
    ],
}

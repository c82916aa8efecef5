"""What demo customers and agents write, in English, Persian, Turkish and Lithuanian.

Templates take ``{name}``, ``{ref}`` (booking reference), ``{trip}`` and ``{date}`` (the
departure date written the way a customer of that language writes it). Sentences are built so
that no placeholder needs a grammatical ending (Turkish suffixes, Lithuanian cases).
"""

from __future__ import annotations

LANGUAGES = ("en", "fa", "tr", "lt")
# Share of tickets per language.
LANGUAGE_WEIGHTS = (0.30, 0.25, 0.25, 0.20)

# Customer names per language: (first names, last names). Lithuanian surnames agree with gender.
NAMES: dict[str, list[tuple[list[str], list[str]]]] = {
    "en": [
        (
            ["Emily", "Olivia", "Hannah", "Grace", "Chloe", "Sophie", "Lucy", "Megan"],
            ["Carter", "Bennett", "Moore", "Holloway", "Adams", "Hughes", "Reid", "Turner"],
        ),
        (
            ["James", "Thomas", "Daniel", "Samuel", "Oliver", "Harry", "Jack", "William"],
            ["Whitaker", "Price", "Foster", "Graham", "Walsh", "Morgan", "Ellis", "Shaw"],
        ),
    ],
    "tr": [
        (
            ["Ayşe", "Elif", "Zeynep", "Fatma", "Selin", "Merve", "Büşra", "Deniz"],
            ["Yılmaz", "Kaya", "Şahin", "Demir", "Çelik", "Aydın", "Öztürk", "Arslan"],
        ),
        (
            ["Mehmet", "Mustafa", "Emre", "Burak", "Can", "Murat", "Oğuz", "Serkan"],
            ["Doğan", "Koç", "Kurt", "Özdemir", "Yıldız", "Polat", "Güneş", "Aksoy"],
        ),
    ],
    "fa": [
        (
            ["سارا", "مریم", "زهرا", "نگار", "فاطمه", "لیلا", "نرگس", "شیرین"],
            ["احمدی", "حسینی", "موسوی", "صادقی", "نوری", "کریمی", "رضایی", "جعفری"],
        ),
        (
            ["علی", "محمد", "رضا", "امیر", "حسین", "مهدی", "بابک", "کاوه"],
            ["قاسمی", "محمدی", "رحیمی", "تهرانی", "فرهادی", "اکبری", "شریفی", "مرادی"],
        ),
    ],
    "lt": [
        (
            ["Rūta", "Eglė", "Gintarė", "Aistė", "Indrė", "Jurgita", "Lina", "Greta"],
            [
                "Petraitė",
                "Stankevičienė",
                "Žukauskaitė",
                "Paulauskienė",
                "Kavaliauskaitė",
                "Jankauskienė",
                "Urbonaitė",
                "Butkienė",
            ],
        ),
        (
            ["Jonas", "Tomas", "Mantas", "Lukas", "Darius", "Paulius", "Justinas", "Vytautas"],
            [
                "Kazlauskas",
                "Jankauskas",
                "Vasiliauskas",
                "Butkus",
                "Urbonas",
                "Petrauskas",
                "Žemaitis",
                "Navickas",
            ],
        ),
    ],
}

# Latin spellings of the Persian names, for email addresses.
PERSIAN_LATIN = {
    "سارا": "sara",
    "مریم": "maryam",
    "زهرا": "zahra",
    "نگار": "negar",
    "فاطمه": "fatemeh",
    "لیلا": "leila",
    "نرگس": "narges",
    "شیرین": "shirin",
    "علی": "ali",
    "محمد": "mohammad",
    "رضا": "reza",
    "امیر": "amir",
    "حسین": "hossein",
    "مهدی": "mahdi",
    "بابک": "babak",
    "کاوه": "kaveh",
    "احمدی": "ahmadi",
    "حسینی": "hosseini",
    "موسوی": "mousavi",
    "صادقی": "sadeghi",
    "نوری": "nouri",
    "کریمی": "karimi",
    "رضایی": "rezaei",
    "جعفری": "jafari",
    "قاسمی": "ghasemi",
    "محمدی": "mohammadi",
    "رحیمی": "rahimi",
    "تهرانی": "tehrani",
    "فرهادی": "farhadi",
    "اکبری": "akbari",
    "شریفی": "sharifi",
    "مرادی": "moradi",
}

# Phone regions per language (numbers are drawn from each region's example number).
PHONE_REGIONS = {"en": "GB", "fa": "IR", "tr": "TR", "lt": "LT"}

# The trip a request is about: ferry, cruise or flight, as a noun phrase per language.
TRIPS: dict[str, list[str]] = {
    "en": [
        "the Istanbul–Izmir ferry",
        "the Klaipėda–Kiel ferry",
        "the Bandar Abbas–Kish ferry",
        "the 7-night Aegean cruise",
        "the Baltic capitals cruise",
        "flight TK1772 Istanbul–Vilnius",
        "flight IR712 Tehran–Istanbul",
        "flight BT342 Vilnius–London",
    ],
    "tr": [
        "İstanbul–İzmir feribotu",
        "Bodrum–İstanköy feribotu",
        "Çeşme–Sakız feribotu",
        "7 gecelik Ege kruvaziyeri",
        "Karadeniz kruvaziyeri",
        "TK1772 İstanbul–Vilnius uçuşu",
        "PC2012 Ankara–Londra uçuşu",
        "TK878 İstanbul–Tahran uçuşu",
    ],
    "fa": [
        "کشتی بندرعباس–قشم",
        "کشتی بوشهر–کیش",
        "کشتی بندرعباس–دبی",
        "سفر دریایی هفت‌شبه در دریای اژه",
        "سفر دریایی خلیج فارس",
        "پرواز IR712 تهران–استانبول",
        "پرواز W5116 مشهد–دبی",
        "پرواز TK879 تهران–استانبول",
    ],
    "lt": [
        "keltas Klaipėda–Kylis",
        "keltas Klaipėda–Karlshamnas",
        "keltas Talinas–Helsinkis",
        "Baltijos sostinių kruizas",
        "7 naktų kruizas Egėjo jūroje",
        "skrydis BT342 Vilnius–Londonas",
        "skrydis FR2781 Kaunas–Dublinas",
        "skrydis TK1771 Vilnius–Stambulas",
    ],
}

# (subject, body) per language and request category (refund, cancellation, change, other).
REQUESTS: dict[str, dict[str, list[tuple[str, str]]]] = {
    "en": {
        "refund": [
            (
                "Refund for booking {ref}",
                "Hello,\n\nYou cancelled my trip ({trip}, departing {date}) and I would like "
                "a full refund to the card I paid with. My booking reference is {ref}.\n\n"
                "Thank you,\n{name}",
            ),
            (
                "Still waiting for my refund – {ref}",
                "Hi,\n\nI cancelled booking {ref} ({trip}, departure {date}) two weeks ago and "
                "was told refunds take up to 5 business days. Nothing has arrived yet. Could "
                "you check where it is?\n\n{name}",
            ),
            (
                "Difference for the cabin we did not get",
                "Hello,\n\nWe paid for an outside cabin on {trip} (booking {ref}, departure "
                "{date}) but were moved to an inside cabin. Please refund the difference.\n\n"
                "Best regards,\n{name}",
            ),
        ],
        "cancellation": [
            (
                "Please cancel booking {ref}",
                "Hello,\n\nBecause of the current situation I can no longer travel on {trip} on "
                "{date}. Please cancel booking {ref} and tell me whether I get a refund or a "
                "voucher.\n\nThanks,\n{name}",
            ),
            (
                "Cancel one passenger on {ref}",
                "Hello,\n\nMy son is ill and cannot travel. Please remove him from booking {ref} "
                "({trip}, {date}); the other two passengers will still travel.\n\n{name}",
            ),
        ],
        "change": [
            (
                "Move my trip to a later date ({ref})",
                "Hello,\n\nI would like to move {trip} from {date} to one week later. My "
                "booking reference is {ref}. Is there a fee for the change?\n\nKind regards,\n"
                "{name}",
            ),
            (
                "Wrong surname on my ticket",
                "Hi,\n\nMy surname is misspelled on my ticket for {trip} on {date} (booking "
                "{ref}). Could you correct it so it matches my passport?\n\nThank you,\n{name}",
            ),
            (
                "Add a suitcase to booking {ref}",
                "Hello,\n\nCould you add one extra 23 kg suitcase to booking {ref} for {trip} "
                "on {date}? I am happy to pay the fee.\n\n{name}",
            ),
        ],
        "other": [
            (
                "Is my trip still going ahead?",
                "Hello,\n\nI keep reading about disruption in the news. Is {trip} on {date} "
                "still going ahead as planned? Booking {ref}.\n\n{name}",
            ),
            (
                "Invoice for my company",
                "Hello,\n\nCould you send an invoice in my company's name for booking {ref} "
                "({trip}, {date})?\n\nMany thanks,\n{name}",
            ),
        ],
    },
    "tr": {
        "refund": [
            (
                "{ref} numaralı rezervasyon için iade talebi",
                "Merhaba,\n\nSeyahatim ({trip}, kalkış {date}) sizin tarafınızdan iptal edildi. "
                "Ödeme yaptığım karta tam iade yapılmasını rica ediyorum. Rezervasyon numaram: "
                "{ref}.\n\nTeşekkürler,\n{name}",
            ),
            (
                "İadem hâlâ gelmedi – {ref}",
                "Merhaba,\n\nİki hafta önce {ref} numaralı rezervasyonumu ({trip}, kalkış "
                "{date}) iptal ettim ve iadenin en fazla 5 iş günü süreceği söylendi. Henüz "
                "hiçbir ödeme almadım. Kontrol edebilir misiniz?\n\n{name}",
            ),
        ],
        "cancellation": [
            (
                "Rezervasyon iptali: {ref}",
                "Merhaba,\n\nMevcut durum nedeniyle {date} tarihli seyahatime ({trip}) "
                "katılamayacağım. Lütfen {ref} numaralı rezervasyonumu iptal edin ve iade mi "
                "yoksa kupon mu alacağımı bildirin.\n\nSaygılarımla,\n{name}",
            ),
            (
                "Bir yolcunun iptali",
                "Merhaba,\n\nOğlum hastalandı ve seyahat edemeyecek. Lütfen onu {ref} numaralı "
                "rezervasyondan ({trip}, {date}) çıkarın; diğer iki yolcu seyahat edecek.\n\n"
                "{name}",
            ),
        ],
        "change": [
            (
                "Seyahat tarihi değişikliği – {ref}",
                "Merhaba,\n\n{date} tarihli seyahatimi ({trip}) bir hafta sonraya ertelemek "
                "istiyorum. Rezervasyon numarası: {ref}. Değişiklik için ücret var mı?\n\n{name}",
            ),
            (
                "Bilette isim hatası",
                "Merhaba,\n\n{date} tarihli biletimde ({trip}, rezervasyon {ref}) soyadım yanlış "
                "yazılmış. Pasaportumdaki gibi düzeltilmesini rica ediyorum.\n\nTeşekkürler,\n"
                "{name}",
            ),
        ],
        "other": [
            (
                "Seferim yapılacak mı?",
                "Merhaba,\n\nHaberlerde aksaklıklar olduğunu okuyorum. {date} tarihli sefer "
                "({trip}) planlandığı gibi yapılacak mı? Rezervasyon: {ref}.\n\n{name}",
            ),
            (
                "Fatura talebi",
                "Merhaba,\n\n{ref} numaralı rezervasyon ({trip}, {date}) için şirketim adına "
                "fatura kesebilir misiniz?\n\nİyi çalışmalar,\n{name}",
            ),
        ],
    },
    "fa": {
        "refund": [
            (
                "درخواست استرداد وجه برای رزرو {ref}",
                "سلام،\n\nسفر من ({trip}، تاریخ حرکت {date}) از طرف شما لغو شد. لطفاً کل مبلغ "
                "را به کارتی که با آن پرداخت کرده‌ام برگردانید. شماره رزرو من {ref} است.\n\n"
                "با تشکر،\n{name}",
            ),
            (
                "هنوز وجه رزرو {ref} برنگشته است",
                "سلام،\n\nدو هفته پیش رزرو {ref} ({trip}، تاریخ حرکت {date}) را لغو کردم و "
                "گفتند بازپرداخت حداکثر پنج روز کاری طول می‌کشد. هنوز مبلغی دریافت نکرده‌ام. "
                "لطفاً بررسی کنید.\n\n{name}",
            ),
        ],
        "cancellation": [
            (
                "لغو رزرو {ref}",
                "سلام،\n\nبه دلیل شرایط فعلی نمی‌توانم در تاریخ {date} سفر کنم ({trip}). لطفاً "
                "رزرو {ref} را لغو کنید و بفرمایید مبلغ برگردانده می‌شود یا اعتبار سفر دریافت "
                "می‌کنم.\n\nبا احترام،\n{name}",
            ),
            (
                "حذف یک مسافر از رزرو",
                "سلام،\n\nپسرم بیمار است و نمی‌تواند سفر کند. لطفاً نام او را از رزرو {ref} "
                "({trip}، {date}) حذف کنید؛ دو مسافر دیگر سفر خواهند کرد.\n\n{name}",
            ),
        ],
        "change": [
            (
                "تغییر تاریخ سفر – رزرو {ref}",
                "سلام،\n\nمی‌خواهم سفرم ({trip}) را از تاریخ {date} یک هفته عقب بیندازم. شماره "
                "رزرو: {ref}. آیا برای تغییر تاریخ هزینه‌ای دریافت می‌شود؟\n\n{name}",
            ),
            (
                "اصلاح نام روی بلیت",
                "سلام،\n\nنام خانوادگی من در بلیت {trip} به تاریخ {date} (رزرو {ref}) اشتباه "
                "نوشته شده است. لطفاً آن را مطابق گذرنامه‌ام اصلاح کنید.\n\nبا تشکر،\n{name}",
            ),
        ],
        "other": [
            (
                "آیا سفر من طبق برنامه انجام می‌شود؟",
                "سلام،\n\nدر اخبار دربارهٔ اختلال در سفرها خوانده‌ام. آیا {trip} در تاریخ {date} "
                "طبق برنامه انجام می‌شود؟ شماره رزرو: {ref}.\n\n{name}",
            ),
            (
                "درخواست فاکتور",
                "سلام،\n\nلطفاً برای رزرو {ref} ({trip}، {date}) فاکتور به نام شرکت من صادر "
                "کنید.\n\nسپاس،\n{name}",
            ),
        ],
    },
    "lt": {
        "refund": [
            (
                "Pinigų grąžinimas už užsakymą {ref}",
                "Laba diena,\n\nmano kelionę ({trip}, išvykimas {date}) atšaukėte jūs. Prašau "
                "grąžinti visą sumą į kortelę, kuria mokėjau. Užsakymo numeris – {ref}.\n\n"
                "Ačiū,\n{name}",
            ),
            (
                "Vis dar negavau pinigų – {ref}",
                "Laba diena,\n\nprieš dvi savaites atšaukiau užsakymą {ref} ({trip}, išvykimas "
                "{date}). Sakėte, kad pinigai grąžinami per 5 darbo dienas, bet dar nieko "
                "negavau. Gal galite patikrinti?\n\n{name}",
            ),
        ],
        "cancellation": [
            (
                "Prašau atšaukti užsakymą {ref}",
                "Laba diena,\n\ndėl susidariusios situacijos negalėsiu keliauti ({trip}, {date}). "
                "Prašau atšaukti užsakymą {ref} ir pranešti, ar grąžinsite pinigus, ar gausiu "
                "kuponą.\n\nPagarbiai\n{name}",
            ),
            (
                "Vieno keleivio atšaukimas",
                "Laba diena,\n\nmano sūnus susirgo ir negalės keliauti. Prašau jį išbraukti iš "
                "užsakymo {ref} ({trip}, {date}); kiti du keleiviai keliaus.\n\n{name}",
            ),
        ],
        "change": [
            (
                "Kelionės datos keitimas – {ref}",
                "Laba diena,\n\nnorėčiau kelionę ({trip}, {date}) perkelti savaite vėliau. "
                "Užsakymo numeris: {ref}. Ar už pakeitimą reikia mokėti?\n\n{name}",
            ),
            (
                "Klaida pavardėje bilete",
                "Laba diena,\n\nmano bilete ({trip}, {date}, užsakymas {ref}) neteisingai "
                "parašyta pavardė. Prašau ją ištaisyti pagal pasą.\n\nAčiū,\n{name}",
            ),
        ],
        "other": [
            (
                "Ar kelionė vyks?",
                "Laba diena,\n\nnaujienose skaitau apie sutrikimus. Ar kelionė ({trip}, {date}) "
                "vyks pagal planą? Užsakymas {ref}.\n\n{name}",
            ),
            (
                "Sąskaita faktūra įmonei",
                "Laba diena,\n\nar galėtumėte išrašyti sąskaitą faktūrą mano įmonės vardu už "
                "užsakymą {ref} ({trip}, {date})?\n\n{name}",
            ),
        ],
    },
}

# Agent replies per language: "progress" (stays open), "need_info" (pending), "done" (solved).
REPLIES: dict[str, dict[str, str]] = {
    "en": {
        "progress": "Hello {name},\n\nThank you for writing to us. I have checked booking {ref}: "
        "your request is registered and I passed it to the right colleagues today. You will "
        "hear from us by email within 5 business days.\n\nKind regards,\n{agent}",
        "need_info": "Hello {name},\n\nTo finish this for you I need one more detail: the last "
        "four digits of the card you paid with. As soon as I have them, I will complete it."
        "\n\nThank you,\n{agent}",
        "done": "Hello {name},\n\nGood news: your request for booking {ref} is done, and the "
        "confirmation is on its way to your inbox. There is nothing more you need to do.\n\n"
        "Have a good trip,\n{agent}",
    },
    "tr": {
        "progress": "Merhaba {name},\n\nBize yazdığınız için teşekkür ederiz. {ref} numaralı "
        "rezervasyonunuzu kontrol ettim; talebiniz kaydedildi ve bugün ilgili ekibe iletildi. "
        "5 iş günü içinde e-posta ile bilgi alacaksınız.\n\nSaygılarımla,\n{agent}",
        "need_info": "Merhaba {name},\n\nTalebinizi tamamlayabilmem için bir bilgiye daha "
        "ihtiyacım var: ödeme yaptığınız kartın son dört hanesi. Bu bilgiyi aldığım anda "
        "işlemi tamamlayacağım.\n\nTeşekkürler,\n{agent}",
        "done": "Merhaba {name},\n\nİyi haber: {ref} numaralı rezervasyonunuzla ilgili "
        "talebiniz tamamlandı, onay e-postası yolda. Sizin başka bir şey yapmanıza gerek "
        "yok.\n\nİyi yolculuklar,\n{agent}",
    },
    "fa": {
        "progress": "{name} گرامی، سلام\n\nاز پیام شما سپاسگزاریم. رزرو {ref} را بررسی کردم؛ "
        "درخواست شما ثبت شد و امروز به همکاران مربوط ارسال شد. ظرف پنج روز کاری نتیجه را از "
        "طریق ایمیل دریافت خواهید کرد.\n\nبا احترام،\n{agent}",
        "need_info": "{name} گرامی، سلام\n\nبرای تکمیل درخواست شما فقط یک مورد دیگر لازم "
        "است: چهار رقم آخر کارتی که با آن پرداخت کرده‌اید. به محض دریافت، کار را تمام "
        "می‌کنم.\n\nبا تشکر،\n{agent}",
        "done": "{name} گرامی، سلام\n\nخبر خوب: درخواست شما برای رزرو {ref} انجام شد و "
        "تأییدیه به ایمیل شما ارسال می‌شود. کار دیگری لازم نیست.\n\nسفر خوبی داشته باشید،\n"
        "{agent}",
    },
    "lt": {
        "progress": "Laba diena,\n\ndėkojame, kad parašėte. Patikrinau užsakymą {ref}: jūsų "
        "prašymas užregistruotas ir šiandien perduotas atsakingiems kolegoms. Atsakymą el. "
        "paštu gausite per 5 darbo dienas.\n\nPagarbiai\n{agent}",
        "need_info": "Laba diena,\n\nkad galėčiau užbaigti jūsų prašymą, man reikia dar "
        "vienos detalės: paskutinių keturių kortelės, kuria mokėjote, skaitmenų. Kai tik "
        "juos gausiu, viską užbaigsiu.\n\nAčiū,\n{agent}",
        "done": "Laba diena,\n\ngera žinia: jūsų prašymas dėl užsakymo {ref} įvykdytas, "
        "patvirtinimą netrukus gausite el. paštu. Daugiau nieko daryti nereikia.\n\nGeros "
        "kelionės!\n{agent}",
    },
}

# What customers write next: after being asked for details, after a reply, or when waiting.
FOLLOW_UPS: dict[str, dict[str, str]] = {
    "en": {
        "details": "Here are the last four digits: 4821. Thank you for the quick answer!",
        "question": "Thank you! One more question: will I also get back the seat reservation fee?",
        "chaser": "Is there any news on this? My departure is getting close.",
    },
    "tr": {
        "details": "Kartımın son dört hanesi: 4821. Hızlı cevabınız için teşekkürler!",
        "question": "Teşekkürler! Bir sorum daha var: koltuk seçimi ücreti de iade edilecek mi?",
        "chaser": "Bu konuda bir gelişme var mı? Kalkış tarihim yaklaşıyor.",
    },
    "fa": {
        "details": "چهار رقم آخر کارت: ۴۸۲۱. از پاسخ سریع شما ممنونم!",
        "question": "ممنونم! یک سؤال دیگر: هزینهٔ انتخاب صندلی هم برگردانده می‌شود؟",
        "chaser": "خبری نشد؟ تاریخ حرکتم نزدیک است.",
    },
    "lt": {
        "details": "Paskutiniai keturi kortelės skaitmenys: 4821. Ačiū už greitą atsakymą!",
        "question": "Ačiū! Dar vienas klausimas: ar grąžinsite ir mokestį už vietos rezervavimą?",
        "chaser": "Ar yra naujienų? Mano išvykimas jau artėja.",
    },
}

# Internal notes and transfer reasons are written by agents for agents, in English.
NOTES = [
    "Checked the booking system: paid by card, refundable fare.",
    "Customer also called the phone line about this; keep it in this ticket.",
    "Waiting for the operator to confirm the new sailing time.",
    "Frequent traveller, three trips this year. Offer the voucher with a 10% bonus.",
    "Group booking of 4; only one passenger affected.",
]

TRANSFER_REASONS = [
    "It is a refund, not a change: the refunds team handles it.",
    "Customer wants to cancel, not to rebook.",
    "Wrong request type chosen on the form.",
    "Needs a date change on the return leg; the trip changes team owns it.",
    "General question about the schedule, no booking change needed.",
]

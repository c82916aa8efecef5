# ruff: noqa: E501 — message prose is kept one paragraph per line, as mail clients wrap it
"""Built-in message templates in every supported language.

They are used when no MessageTemplate row exists for a kind and language, and
``install_default_templates()`` copies them into the database so admins can edit them.
Placeholders: see ``MessageTemplate.body``'s help text.
"""

from __future__ import annotations

from .models import MessageTemplate, TemplateKind

# kind → language → (subject, body)
DEFAULT_TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    TemplateKind.AUTORESPONDER: {
        "en": (
            "We have received your request [{{ reference }}]",
            """{% if name %}Hello {{ name }},{% else %}Hello,{% endif %}

Thank you for contacting us. We have received your request {{ reference }}{% if request_type %} ({{ request_type }}){% endif %} and it is now in our queue.

Expected time to our first reply: {{ expected_wait }}.

You can follow your request and add details at any time here:
{{ tracking_url }}

If your request is not urgent, please do not send it again by email, phone or social media: a second message does not move it forward, and it makes everyone wait longer. If anything changes, simply reply to this email or use the link above.

Kind regards,
{{ team }}
""",
        ),
        "fa": (
            "درخواست شما را دریافت کردیم [{{ reference }}]",
            """{% if name %}{{ name }} عزیز، سلام{% else %}سلام{% endif %}

از تماس شما سپاسگزاریم. درخواست شما با شمارهٔ {{ reference }}{% if request_type %} ({{ request_type }}){% endif %} دریافت شد و در نوبت رسیدگی قرار گرفت.

زمان تقریبی نخستین پاسخ ما: {{ expected_wait }}.

از این پیوند می‌توانید وضعیت درخواست خود را دنبال کنید و هر زمان جزئیات تازه‌ای بیفزایید:
{{ tracking_url }}

اگر درخواست شما فوری نیست، لطفاً آن را دوباره از راه‌های دیگر (ایمیل، تلفن یا شبکه‌های اجتماعی) نفرستید؛ پیام دوباره رسیدگی را جلو نمی‌اندازد و انتظار همه را طولانی‌تر می‌کند. اگر چیزی تغییر کرد، کافی است به همین ایمیل پاسخ دهید یا از پیوند بالا استفاده کنید.

با احترام،
{{ team }}
""",
        ),
        "tr": (
            "Talebinizi aldık [{{ reference }}]",
            """{% if name %}Merhaba {{ name }},{% else %}Merhaba,{% endif %}

Bize ulaştığınız için teşekkür ederiz. {{ reference }} numaralı talebinizi{% if request_type %} ({{ request_type }}){% endif %} aldık ve sıraya ekledik.

İlk yanıtımız için tahmini süre: {{ expected_wait }}.

Talebinizi aşağıdaki bağlantıdan takip edebilir, dilediğiniz zaman yeni bilgi ekleyebilirsiniz:
{{ tracking_url }}

Talebiniz acil değilse lütfen aynı talebi e-posta, telefon veya sosyal medya üzerinden tekrar göndermeyin: ikinci bir mesaj talebinizi öne almaz, yalnızca herkesin bekleme süresini uzatır. Bir değişiklik olursa bu e-postayı yanıtlamanız ya da yukarıdaki bağlantıyı kullanmanız yeterli.

Saygılarımızla,
{{ team }}
""",
        ),
        "lt": (
            "Gavome jūsų užklausą [{{ reference }}]",
            """{% if name %}Sveiki, {{ name }},{% else %}Sveiki,{% endif %}

Dėkojame, kad kreipėtės. Gavome jūsų užklausą {{ reference }}{% if request_type %} ({{ request_type }}){% endif %} ir įtraukėme ją į eilę.

Numatomas laikas iki mūsų pirmojo atsakymo: {{ expected_wait }}.

Užklausos eigą stebėti ir bet kada pridėti daugiau informacijos galite čia:
{{ tracking_url }}

Jei jūsų klausimas neskubus, prašome nesiųsti jo dar kartą el. paštu, telefonu ar socialiniuose tinkluose: pakartotinė žinutė atsakymo nepagreitins, o visiems teks laukti ilgiau. Jei kas nors pasikeistų, tiesiog atsakykite į šį laišką arba pasinaudokite aukščiau pateikta nuoroda.

Pagarbiai
{{ team }}
""",
        ),
    },
    TemplateKind.INCIDENT_AUTORESPONDER: {
        "en": (
            "{{ incident_title }}: we have received your request [{{ reference }}]",
            """{% if name %}Hello {{ name }},{% else %}Hello,{% endif %}

We have received your request {{ reference }}{% if request_type %} ({{ request_type }}){% endif %}. It concerns “{{ incident_title }}”, so it is now in the queue of the team handling it.

Expected time to our first reply: {{ expected_wait }}.
{% if policy %}
Our policy for the customers affected:
{{ policy }}
{% endif %}{% if guidance %}
{{ guidance }}
{% endif %}
The latest news, what to do and our policy are always on this page, updated as soon as we learn more:
{{ crisis_url }}

You can follow your request and add details at any time here:
{{ tracking_url }}

Please do not send your request again by email, phone or social media: a second message does not move it forward, and it makes everyone wait longer. If anything changes, simply reply to this email or use the link above.

Kind regards,
{{ team }}
""",
        ),
        "fa": (
            "{{ incident_title }}: درخواست شما را دریافت کردیم [{{ reference }}]",
            """{% if name %}{{ name }} عزیز، سلام{% else %}سلام{% endif %}

درخواست شما با شمارهٔ {{ reference }}{% if request_type %} ({{ request_type }}){% endif %} دریافت شد. این درخواست به «{{ incident_title }}» مربوط است و در نوبت تیمی قرار گرفت که به این رویداد رسیدگی می‌کند.

زمان تقریبی نخستین پاسخ ما: {{ expected_wait }}.
{% if policy %}
سیاست ما برای مشتریانی که تحت تأثیر این رویداد قرار گرفته‌اند:
{{ policy }}
{% endif %}{% if guidance %}
{{ guidance }}
{% endif %}
تازه‌ترین خبرها، کارهایی که باید انجام دهید و سیاست ما همیشه در این صفحه است و با هر خبر تازه به‌روز می‌شود:
{{ crisis_url }}

از این پیوند می‌توانید وضعیت درخواست خود را دنبال کنید و هر زمان جزئیات تازه‌ای بیفزایید:
{{ tracking_url }}

لطفاً درخواست خود را دوباره از راه‌های دیگر (ایمیل، تلفن یا شبکه‌های اجتماعی) نفرستید؛ پیام دوباره رسیدگی را جلو نمی‌اندازد و انتظار همه را طولانی‌تر می‌کند. اگر چیزی تغییر کرد، کافی است به همین ایمیل پاسخ دهید یا از پیوند بالا استفاده کنید.

با احترام،
{{ team }}
""",
        ),
        "tr": (
            "{{ incident_title }}: talebinizi aldık [{{ reference }}]",
            """{% if name %}Merhaba {{ name }},{% else %}Merhaba,{% endif %}

{{ reference }} numaralı talebinizi{% if request_type %} ({{ request_type }}){% endif %} aldık. Talebiniz “{{ incident_title }}” ile ilgili olduğu için bu konuyla ilgilenen ekibimizin sırasına ekledik.

İlk yanıtımız için tahmini süre: {{ expected_wait }}.
{% if policy %}
Etkilenen müşterilerimiz için uyguladığımız politika:
{{ policy }}
{% endif %}{% if guidance %}
{{ guidance }}
{% endif %}
En son gelişmeler, yapmanız gerekenler ve politikamız her zaman bu sayfada; yeni bilgi geldikçe güncelliyoruz:
{{ crisis_url }}

Talebinizi aşağıdaki bağlantıdan takip edebilir, dilediğiniz zaman yeni bilgi ekleyebilirsiniz:
{{ tracking_url }}

Lütfen aynı talebi e-posta, telefon veya sosyal medya üzerinden tekrar göndermeyin: ikinci bir mesaj talebinizi öne almaz, yalnızca herkesin bekleme süresini uzatır. Bir değişiklik olursa bu e-postayı yanıtlamanız ya da yukarıdaki bağlantıyı kullanmanız yeterli.

Saygılarımızla,
{{ team }}
""",
        ),
        "lt": (
            "{{ incident_title }}: gavome jūsų užklausą [{{ reference }}]",
            """{% if name %}Sveiki, {{ name }},{% else %}Sveiki,{% endif %}

Gavome jūsų užklausą {{ reference }}{% if request_type %} ({{ request_type }}){% endif %}. Ji susijusi su įvykiu „{{ incident_title }}“, todėl įtraukėme ją į šiuo klausimu besirūpinančios komandos eilę.

Numatomas laikas iki mūsų pirmojo atsakymo: {{ expected_wait }}.
{% if policy %}
Ką taikome įvykio paliestiems klientams:
{{ policy }}
{% endif %}{% if guidance %}
{{ guidance }}
{% endif %}
Naujausios žinios, ką daryti, ir mūsų sąlygos visada skelbiamos šiame puslapyje, kurį atnaujiname vos sužinoję daugiau:
{{ crisis_url }}

Užklausos eigą stebėti ir bet kada pridėti daugiau informacijos galite čia:
{{ tracking_url }}

Prašome nesiųsti užklausos dar kartą el. paštu, telefonu ar socialiniuose tinkluose: pakartotinė žinutė atsakymo nepagreitins, o visiems teks laukti ilgiau. Jei kas nors pasikeistų, tiesiog atsakykite į šį laišką arba pasinaudokite aukščiau pateikta nuoroda.

Pagarbiai
{{ team }}
""",
        ),
    },
    TemplateKind.AGENT_REPLY: {
        "en": (
            "Re: {{ subject }} [{{ reference }}]",
            """{{ reply }}

--
{{ team }}
Your request {{ reference }}: {{ tracking_url }}
To answer, simply reply to this email or use the link above.
""",
        ),
        "fa": (
            "پاسخ: {{ subject }} [{{ reference }}]",
            """{{ reply }}

--
{{ team }}
درخواست شما {{ reference }}: {{ tracking_url }}
برای پاسخ دادن، کافی است به همین ایمیل پاسخ دهید یا از پیوند بالا استفاده کنید.
""",
        ),
        "tr": (
            "Ynt: {{ subject }} [{{ reference }}]",
            """{{ reply }}

--
{{ team }}
Talebiniz {{ reference }}: {{ tracking_url }}
Yanıt vermek için bu e-postayı yanıtlamanız ya da yukarıdaki bağlantıyı kullanmanız yeterli.
""",
        ),
        "lt": (
            "Re: {{ subject }} [{{ reference }}]",
            """{{ reply }}

--
{{ team }}
Jūsų užklausa {{ reference }}: {{ tracking_url }}
Norėdami atsakyti, tiesiog atsakykite į šį laišką arba pasinaudokite aukščiau pateikta nuoroda.
""",
        ),
    },
    TemplateKind.ALERT: {
        "en": (
            "Alert: urgent request {{ reference }} still has no reply",
            """{% if name %}Hello {{ name }},{% else %}Hello,{% endif %}

The urgent request {{ reference }} “{{ subject }}”{% if request_type %} ({{ request_type }}){% endif %} in {{ team }} has had no reply from an agent since {{ created_at }}.

Please make sure someone picks it up as soon as possible:
{{ ticket_url }}

This alert is sent only once per request.
""",
        ),
        "fa": (
            "هشدار: درخواست فوری {{ reference }} هنوز پاسخی نگرفته است",
            """{% if name %}{{ name }} عزیز، سلام{% else %}سلام{% endif %}

درخواست فوری {{ reference }} با عنوان «{{ subject }}»{% if request_type %} ({{ request_type }}){% endif %} در تیم {{ team }} از {{ created_at }} تاکنون هیچ پاسخی از کارشناسان نگرفته است.

لطفاً مطمئن شوید که کسی هرچه زودتر به آن رسیدگی می‌کند:
{{ ticket_url }}

این هشدار برای هر درخواست تنها یک بار فرستاده می‌شود.
""",
        ),
        "tr": (
            "Uyarı: acil talep {{ reference }} hâlâ yanıt bekliyor",
            """{% if name %}Merhaba {{ name }},{% else %}Merhaba,{% endif %}

{{ team }} ekibindeki {{ reference }} numaralı acil talep (“{{ subject }}”{% if request_type %}, {{ request_type }}{% endif %}) {{ created_at }} tarihinden bu yana bir temsilciden yanıt almadı.

Lütfen talebin en kısa sürede ele alınmasını sağlayın:
{{ ticket_url }}

Bu uyarı her talep için yalnızca bir kez gönderilir.
""",
        ),
        "lt": (
            "Įspėjimas: skubi užklausa {{ reference }} vis dar be atsakymo",
            """{% if name %}Sveiki, {{ name }},{% else %}Sveiki,{% endif %}

Skubi užklausa {{ reference }} „{{ subject }}“{% if request_type %} ({{ request_type }}){% endif %} komandoje {{ team }} nuo {{ created_at }} dar negavo jokio darbuotojo atsakymo.

Prašome užtikrinti, kad kas nors ja kuo greičiau pasirūpintų:
{{ ticket_url }}

Šis įspėjimas kiekvienai užklausai siunčiamas tik vieną kartą.
""",
        ),
    },
}


def install_default_templates() -> None:
    """Every kind in en, fa, tr and lt. Idempotent: existing (maybe edited) rows are kept."""
    for kind, languages in DEFAULT_TEMPLATES.items():
        for language, (subject, body) in languages.items():
            MessageTemplate.objects.get_or_create(
                kind=kind, language=language, defaults={"subject": subject, "body": body}
            )

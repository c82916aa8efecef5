"""Strings Django itself translates, repeated here so our catalogues can fill its gaps.

Django's Lithuanian catalogue has no time spans ("3 hours"), which agents read on every queue
row ("due in 3 hours"). Marking the same msgids here keeps them in our .po files, and our
LOCALE_PATHS take precedence over Django's own catalogues.
"""

from django.utils.translation import gettext_lazy, ngettext_lazy

TIME_SPANS = (
    ngettext_lazy("%(num)d year", "%(num)d years", "num"),
    ngettext_lazy("%(num)d month", "%(num)d months", "num"),
    ngettext_lazy("%(num)d week", "%(num)d weeks", "num"),
    ngettext_lazy("%(num)d day", "%(num)d days", "num"),
    ngettext_lazy("%(num)d hour", "%(num)d hours", "num"),
    ngettext_lazy("%(num)d minute", "%(num)d minutes", "num"),
)

# The separator between time spans ("3 weeks, 2 days"); Django's lt and fa drop the space.
TIME_SPAN_SEPARATOR = gettext_lazy(", ")

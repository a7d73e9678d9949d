"""The digest's print edition: a PDF of every issue, to print and hand out.

Stages, in the data's order: settings → view (what paper shows: addresses,
footnoted links, bounded text) → qr (segno, vector) → render (one HTML
document) → pdf (WeasyPrint, local files only, PDF/UA) → cache (by content
hash) → build (the Pelican generator, writes output/digest/YYYY-MM/issue.pdf)
→ cli (`invoke print --month YYYY-MM`).

Listed after "digest" in PLUGINS (it reads the issues the digest's generator
puts in the context) and before "digest_email" (whose emails link the PDF).
"""

from pelican import signals
from pelican.generators import Generator


class PrintGenerator(Generator):
    """Renders (or takes from the cache) each issue's PDF in generate_context,
    so the pages and emails written afterwards can link it; writes it in
    generate_output."""

    def generate_context(self):
        from digest.errors import DigestError
        from digest.render import stop_build
        from digest.settings import DigestSettings

        from .build import make_edition, print_context
        from .settings import PrintSettings

        self.editions = {}
        try:
            prints = PrintSettings.from_pelican(self.settings)
            if prints.enabled:
                conf = DigestSettings.from_pelican(self.settings)
                context = print_context(self.settings, conf, prints)
                # In a preview build this includes drafts, marked; a public build has only published issues.
                issues = self.context.get("digest_email_issues", self.context.get("digest_issues", []))
                for issue in issues:
                    edition = make_edition(issue, context, prints, self.output_path)
                    if edition is not None:
                        self.editions[issue.month] = edition
        except DigestError as error:
            stop_build(error)
        self.context["print_editions"] = self.editions

    def generate_output(self, writer=None):
        from .build import write_edition

        for edition in self.editions.values():
            write_edition(edition, self.output_path)


def get_generators(pelican_object):
    return PrintGenerator


def register():
    signals.get_generators.connect(get_generators)

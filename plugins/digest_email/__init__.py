"""The email edition of each digest issue.

After every generator has built its context (the digest's puts the published
issues in `context["digest_issues"]`), this plugin's generator writes, beside
each issue page, email.html, email.txt, email-body.html and issue.eml.
"""

from pelican import signals
from pelican.generators import Generator


class DigestEmailGenerator(Generator):
    """Writes the email files in generate_output, when all contexts are complete."""

    def generate_context(self):
        pass

    def generate_output(self, writer=None):
        from .build import write_all  # lazily: keeps `import digest_email` light for the CLI

        # In a preview build this includes drafts and scheduled issues, marked, so an
        # editor can send a test copy before publishing; a public build has only published ones.
        issues = self.context.get("digest_email_issues", self.context.get("digest_issues", []))
        write_all(issues, self.settings, self.output_path, self.context.get("print_editions"))


def get_generators(pelican_object):
    return DigestEmailGenerator


def register():
    signals.get_generators.connect(get_generators)

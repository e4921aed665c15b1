from django import forms

from .registry import CategorySpec, Channel, registry


def field_name(category: str, channel: str) -> str:
    return f"{category}__{channel}"


class PreferencesForm(forms.Form):
    """One checkbox per (category, channel) the user can choose; built from their choices."""

    def __init__(self, *args, choices: dict[tuple[str, str], bool], **kwargs):
        super().__init__(*args, **kwargs)
        self.keys = list(choices)
        for (category, channel), enabled in choices.items():
            self.fields[field_name(category, channel)] = forms.BooleanField(
                label=Channel(channel).label, required=False, initial=enabled
            )

    def grouped(self) -> list[tuple[CategorySpec, list]]:
        """[(category, [bound field, ...]), ...] in page order, for the template."""
        groups: dict[str, list] = {}
        for category, channel in self.keys:
            groups.setdefault(category, []).append(self[field_name(category, channel)])
        return [(registry.category(category), fields) for category, fields in groups.items()]

    def chosen(self) -> dict[tuple[str, str], bool]:
        return {key: self.cleaned_data[field_name(*key)] for key in self.keys}

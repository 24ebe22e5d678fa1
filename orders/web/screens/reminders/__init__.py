"""Back office: reminders per term."""

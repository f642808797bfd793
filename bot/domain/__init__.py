"""Pure rules: area search, meeting dates, calendars, signposting. No telegram, no SQL."""

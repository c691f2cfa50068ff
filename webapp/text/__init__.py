"""Text utilities, the low layer that the dataset reader, the importer and the services share.

- ``match``: finding a quote in a text despite white space and quote-mark differences;
- ``sentences``: where a sentence begins and ends (abbreviations and initials kept whole);
- ``mentions``: where known names of actors occur.

Nothing here touches the database.
"""

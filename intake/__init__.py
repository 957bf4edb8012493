"""The public side: forms, sealing on arrival, receipts, follow-up and the tables it writes."""

-- Device pages (issue 21): the network each risk result came from, as a keyed
-- hash (an IPv6 address counts by its /64), so a device's page can say how
-- many networks it was seen from without keeping an address in clear.
ALTER TABLE risk_results ADD COLUMN ip_hash TEXT;

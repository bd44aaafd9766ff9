"""Dynamic DNS: the dyndns2 protocol (/nic/update) that ddclient, inadyn and home routers speak."""

"""Thin HTTP clients for QuickBooks Online and HubSpot: they speak HTTP only, never import a simulator."""

"""Scheduled jobs (SPEC §8): the minute sweep, daily expiry and the daily stats post."""

"""Tests of the Salesforce emulator, over real HTTP; they need no Django."""

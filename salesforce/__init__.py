"""The integration layer: orgs, memberships, connections and the Salesforce client."""

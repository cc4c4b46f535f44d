"""The Hub: a GraphQL data-sharing hub between CBP, the trade and partner government agencies."""

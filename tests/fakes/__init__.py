"""Hand-written fakes of outside services, served over real HTTP for end-to-end tests."""

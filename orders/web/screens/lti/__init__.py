"""The LMS screen: LTI 1.3 login, launch, key set, configuration, registration and the launched course's pages."""

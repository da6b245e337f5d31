"""Code the tests share that is not a fixture: imported as `helpers.<module>`, never by
importing another test module."""

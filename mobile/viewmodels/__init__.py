"""View-models: Kivy EventDispatchers holding what each screen shows, testable without a window."""

"""The multilingual service guide (涉外服务指引图): registration and service points with their
languages and hours, international compounds, and the notices printed for them in each language."""

"""The dashboard served by the API: jobs, workers, settlements, names, a submit form.
(To be built: see the marketplace issue.)
"""

__all__: list[str] = []

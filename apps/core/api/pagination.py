"""Pagination: `?limit=&offset=` for catalogue lists, cursors for the lists that grow
without bound (executions, events), so a deep page costs what the first one does."""

from rest_framework.pagination import CursorPagination, LimitOffsetPagination


class LimitPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500


class NewestFirstCursorPagination(CursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 500

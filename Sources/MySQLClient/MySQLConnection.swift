import CMySQL

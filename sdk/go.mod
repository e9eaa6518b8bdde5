module github.com/wuye-project/wuye/sdk

go 1.26.8
